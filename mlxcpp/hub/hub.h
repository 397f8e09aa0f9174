// Model ids resolved to local folders the way the Hugging Face clients do it: the same
// cache layout (<cache>/models--org--name/{blobs,refs,snapshots}, shared with other clients
// of that cache), the same environment (HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE,
// HF_HUB_OFFLINE), downloads over HTTPS with libcurl, resumed when interrupted and checked
// against the hub's sizes and hashes. Nothing downloaded is ever executed.
#pragma once

#include <string>
#include <vector>

#include "mlxcpp/core/errors.h"

namespace mlxcpp::hub {

/** The hub answered with an HTTP error (401, 403, 404, 5xx ...). */
class HttpError : public IoError {
 public:
  HttpError(int status, const std::string& what) : IoError(what), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

/** Where and how models are fetched. */
struct HubConfig {
  std::string endpoint = "https://huggingface.co";
  std::string token;      // sent as "Authorization: Bearer" to the endpoint only
  std::string cache_dir;  // the hub cache folder (holds models--org--name)
  bool offline = false;   // use the cache only
  bool progress = true;   // a progress bar, drawn only when stderr is a terminal

  /** Reads HF_ENDPOINT, HF_TOKEN (else the file HF_TOKEN_PATH or $HF_HOME/token),
   *  HF_HUB_CACHE (else $HF_HOME/hub, HF_HOME defaulting to ~/.cache/huggingface) and
   *  HF_HUB_OFFLINE (1/true/yes/on). */
  static HubConfig from_environment();
};

/** "org/name[@revision]" split; revision defaults to "main". */
struct ModelRef {
  std::string repo_id;
  std::string revision = "main";

  /** Parses and validates a reference; a malformed id (empty parts, "..", characters
   *  outside [A-Za-z0-9._-]) throws std::invalid_argument. */
  static ModelRef parse(const std::string& ref);
};

/** The files a model needs, as mlx-lm's allow patterns (fnmatch globs: '*' also matches
 *  '/'): *.json, model*.safetensors, tokenizer.model, *.tiktoken, *.txt, *.jsonl, *.jinja. */
const std::vector<std::string>& default_allow_patterns();

/** The cache folder of a repository: <cache_dir>/models--org--name. */
std::string repo_cache_folder(const HubConfig& config, const std::string& repo_id);

/** A local folder holding `model`. An existing directory is returned as is. Otherwise
 *  `model` is "org/name[@revision]": the snapshot folder of that revision, after
 *  downloading the files matching `allow_patterns` that the cache lacks. Offline (or when
 *  the hub cannot be reached and the cache already has the revision) the cached snapshot
 *  is used. Throws HttpError for 401/403/404/other statuses and IoError for network
 *  failures, a missing offline snapshot or a download that fails its size/hash check. */
std::string resolve_model(
    const std::string& model, const HubConfig& config = HubConfig::from_environment(),
    const std::vector<std::string>& allow_patterns = default_allow_patterns());

}  // namespace mlxcpp::hub
