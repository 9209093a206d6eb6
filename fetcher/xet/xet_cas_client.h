// XetCasClient: the requests a Xet download makes to an upstream
// (../shared/xet-protocol.md (e)): the read token from the hub (with the
// mirror's upstream token, as for every hub call), the reconstruction from
// the CAS (with the read token), and xorb byte ranges from presigned URLs
// (with no credentials at all).
//
// Each call is bounded by UpstreamOptions' timeouts; byte ranges are
// retried and resumed from the last byte received. Thread-safe: every call
// uses its own libcurl handle.
#pragma once

#include <cstdint>
#include <string>

#include "fetcher/upstream.h"
#include "store/status.h"

namespace hubmirror {

struct XetAccess {
  std::string cas_url;  // no trailing slash
  std::string token;
  int64_t expires_at = 0;  // unix seconds
};

class XetCasClient {
 public:
  explicit XetCasClient(const UpstreamOptions& options) : options_(options) {}

  // GET `token_url` (a hub URL: the upstream token is sent when it is on
  // the endpoint's origin). Reads the JSON body, else the X-Xet-* headers.
  Result<XetAccess> GetReadToken(const std::string& token_url) const;
  // GET {cas}/v2/reconstructions/{hash} (v1 when v2 answers 404 or 501)
  // for bytes [first, last]; the answer's body.
  Result<std::string> GetReconstruction(const XetAccess& access, const std::string& file_hash,
                                        uint64_t first, uint64_t last) const;
  // Bytes [first, last] of a presigned URL, appended to `out`; a short or
  // broken answer is resumed (max_attempts). PermissionDenied on 403 (an
  // expired URL: ask for a fresh reconstruction).
  Status FetchRange(const std::string& url, uint64_t first, uint64_t last,
                    std::string* out) const;

 private:
  const UpstreamOptions options_;
};

}  // namespace hubmirror
