#include "tests/fakehub/cdn_routes.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakehub/ranged_body.h"
#include "tests/fakehub/url.h"
#include "tests/fakehub/xet_routes.h"

namespace fakehub {
namespace {

constexpr char kXmlType[] = "application/xml";

void SetS3Error(httplib::Response& res, int status, std::string_view code,
                std::string_view message) {
  res.status = status;
  res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(code) +
                      "</Code><Message>" + std::string(message) + "</Message></Error>\n",
                  kXmlType);
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void ServeCdnHost(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  RawTarget raw = SplitTarget(req.target);
  std::optional<std::vector<std::string>> segments = DecodePathSegments(raw.path);
  std::optional<QueryParams> query = ParseQuery(raw.query);
  if (!segments || !query) return SetS3Error(res, 400, "InvalidURI", "Couldn't parse the URI");
  if (!segments->empty() && ((*segments)[0] == "cas" || (*segments)[0] == "xorbs")) {
    return ServeXetCas(state, req, res, *segments, *query);
  }
  if (segments->size() != 2 || (*segments)[0] != "lfs") {
    return SetS3Error(res, 404, "NoSuchKey", "The specified key does not exist.");
  }
  if (req.method != "GET" && req.method != "HEAD") {
    return SetS3Error(res, 405, "MethodNotAllowed",
                      "The specified method is not allowed against this resource.");
  }
  if (req.has_header("Authorization")) {
    return SetS3Error(res, 400, "InvalidArgument",
                      "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                      "parameter, Signature query string parameter or the Authorization header "
                      "should be specified");
  }
  const std::string& sha256 = (*segments)[1];
  switch (state.signer().Check(sha256, ParamValue(*query, "expires").value_or(""),
                               ParamValue(*query, "sig").value_or(""), UnixNow())) {
    case UrlSigner::Verdict::kBadSignature:
      return SetS3Error(res, 403, "AccessDenied", "Invalid or missing signature");
    case UrlSigner::Verdict::kExpired:
      return SetS3Error(res, 403, "AccessDenied", "Request has expired");
    case UrlSigner::Verdict::kValid:
      break;
  }
  std::shared_ptr<const Blob> blob = state.hub().FindLfsBlob(sha256);
  if (!blob) return SetS3Error(res, 404, "NoSuchKey", "The specified key does not exist.");

  res.set_header("ETag", "\"" + blob->sha256 + "\"");
  std::shared_ptr<const BlobBytes> bytes = blob->bytes;
  if (req.method == "GET" && bytes->size() > 0 && state.faults().Take(Fault::kCorruptBody)) {
    // Bytes that do not match the promised hash (fixture blobs are small
    // enough to copy).
    std::string copy(bytes->size(), '\0');
    bytes->Read(0, copy.data(), copy.size());
    copy[copy.size() / 2] ^= 0x01;
    bytes = MemoryBytes(std::move(copy));
  }
  ServeBytes(req, res, bytes, "application/octet-stream",
             [&state] { return state.cdn().NewTransfer(&state.log()); });
}

}  // namespace fakehub
