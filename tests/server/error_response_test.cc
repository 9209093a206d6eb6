#include "server/error_response.h"

#include <gtest/gtest.h>

namespace hubmirror {
namespace {

TEST(ErrorResponseTest, HubErrorsCarryTheHubsOwnMessage) {
  HttpResponse res;
  WriteError(Status::PermissionDenied("GET https://upstream.internal/api/models/x: HTTP 403")
                 .WithHubError(HubError::kDisabled, 403, "Access to this resource is disabled."),
             /*authenticated=*/false, &res);
  EXPECT_EQ(res.status, 403);
  // huggingface_hub raises DisabledRepoError on exactly this message.
  EXPECT_EQ(res.get_header_value("X-Error-Message"), "Access to this resource is disabled.");
  EXPECT_EQ(res.body, R"({"error":"Access to this resource is disabled."})");
  EXPECT_EQ(res.body.find("upstream.internal"), std::string::npos);
}

TEST(ErrorResponseTest, MirrorErrorsCarryTheirMessage) {
  HttpResponse res;
  WriteError(Status::NotFound("no file 'x' in models/a/b at c")
                 .WithHubError(HubError::kEntryNotFound, 404),
             false, &res);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.get_header_value("X-Error-Code"), "EntryNotFound");
  EXPECT_EQ(res.get_header_value("X-Error-Message"), "no file 'x' in models/a/b at c");
  // Header values never carry line breaks.
  HttpResponse crlf;
  WriteError(Status::InvalidArgument("bad\r\nX-Injected: 1"), false, &crlf);
  EXPECT_EQ(crlf.status, 400);
  EXPECT_EQ(crlf.get_header_value("X-Error-Message").find('\n'), std::string::npos);
}

}  // namespace
}  // namespace hubmirror
