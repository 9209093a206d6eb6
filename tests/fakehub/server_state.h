// Everything the fake hub's request handlers share, created once in main()
// and passed to the route handlers by reference (no globals).
//
// The hub fixtures, options and URLs are immutable; the request log and the
// CDN knobs are internally synchronized.
#pragma once

#include <string>
#include <utility>

#include "tests/fakehub/cdn_control.h"
#include "tests/fakehub/fault_plan.h"
#include "tests/fakehub/hub_model.h"
#include "tests/fakehub/options.h"
#include "tests/fakehub/request_log.h"
#include "tests/fakehub/url_signer.h"
#include "tests/fakehub/xet_cas.h"

namespace fakehub {

class ServerState {
 public:
  ServerState(Options options, Hub hub, std::string api_base_url, std::string cdn_base_url)
      : options_(std::move(options)),
        hub_(std::move(hub)),
        xet_(hub_),
        api_base_url_(std::move(api_base_url)),
        cdn_base_url_(std::move(cdn_base_url)) {}
  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;

  const Options& options() const { return options_; }
  const Hub& hub() const { return hub_; }
  // The Xet CAS holding every LFS content of hub().
  const XetCas& xet() const { return xet_; }
  // "http://127.0.0.1:PORT", no trailing slash.
  const std::string& api_base_url() const { return api_base_url_; }
  const std::string& cdn_base_url() const { return cdn_base_url_; }
  const UrlSigner& signer() const { return signer_; }
  RequestLog& log() { return log_; }
  CdnControl& cdn() { return cdn_; }
  FaultPlan& faults() { return faults_; }

 private:
  const Options options_;
  const Hub hub_;
  const XetCas xet_;
  const std::string api_base_url_;
  const std::string cdn_base_url_;
  const UrlSigner signer_;
  RequestLog log_;
  CdnControl cdn_;
  FaultPlan faults_;
};

}  // namespace fakehub
