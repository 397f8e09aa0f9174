// resolve_model: the hub's cache layout and snapshot download (as huggingface_hub's
// snapshot_download with allow_patterns).
#include <fnmatch.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mlxcpp/hub/digest.h"
#include "mlxcpp/hub/http.h"
#include "mlxcpp/hub/hub.h"

namespace mlxcpp::hub {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

bool truthy(const std::string& v) {
  return v == "1" || v == "true" || v == "TRUE" || v == "True" || v == "yes" || v == "on" ||
         v == "ON" || v == "YES";
}

bool is_commit_hash(const std::string& s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool is_hex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A file name from the hub must stay inside the snapshot folder.
bool safe_relative_path(const std::string& p) {
  if (p.empty() || p.front() == '/' || p.find('\\') != std::string::npos ||
      p.find('\0') != std::string::npos) {
    return false;
  }
  for (const auto& part : fs::path(p)) {
    if (part == ".." || part == "." || part.empty()) {
      return false;
    }
  }
  return p.back() != '/';
}

bool matches_any(const std::string& name, const std::vector<std::string>& patterns) {
  for (const auto& pat : patterns) {
    if (::fnmatch(pat.c_str(), name.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

// The cached snapshot of a revision, or "" when the cache does not have it.
std::string cached_snapshot(const fs::path& folder, const std::string& revision) {
  std::string commit = revision;
  if (!is_commit_hash(revision)) {
    const fs::path ref = folder / "refs" / revision;
    if (!fs::is_regular_file(ref)) {
      return "";
    }
    commit = read_text(ref);
    if (!is_commit_hash(commit)) {
      return "";
    }
  }
  const fs::path snap = folder / "snapshots" / commit;
  return fs::is_directory(snap) ? snap.string() : "";
}

[[noreturn]] void throw_status(long status, const ModelRef& ref, const std::string& what) {
  const std::string id = ref.repo_id + "@" + ref.revision;
  switch (status) {
    case 401:
      throw HttpError(401, "[hub] " + id + ": authentication required (401) for " + what +
                               "; set HF_TOKEN to a token with access to the repository");
    case 403:
      throw HttpError(403, "[hub] " + id + ": access denied (403) for " + what +
                               "; the repository may be gated (accept its terms on the hub) "
                               "or the token lacks permission");
    case 404:
      throw HttpError(404, "[hub] " + id + ": not found (404) for " + what +
                               "; check the repository id and revision");
    default:
      throw HttpError(static_cast<int>(status),
                      "[hub] " + id + ": HTTP " + std::to_string(status) + " for " + what);
  }
}

struct RemoteFile {
  std::string name;
  std::string blob;  // sha256 for LFS files, the git blob id otherwise
  bool lfs = false;
  int64_t size = -1;
};

struct RepoInfo {
  std::string commit;
  std::vector<RemoteFile> files;
};

RepoInfo parse_repo_info(const std::string& body, const std::string& url) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(url, 0, std::string("[hub] the hub's answer is not JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("sha") || !j["sha"].is_string() ||
      !is_commit_hash(j["sha"].get<std::string>()) || !j.contains("siblings") ||
      !j["siblings"].is_array()) {
    throw FormatError(url, 0, "[hub] the hub's answer lacks a commit sha or the file list");
  }
  RepoInfo info;
  info.commit = j["sha"].get<std::string>();
  for (const auto& s : j["siblings"]) {
    if (!s.is_object() || !s.contains("rfilename") || !s["rfilename"].is_string()) {
      throw FormatError(url, 0, "[hub] a sibling without rfilename");
    }
    RemoteFile f;
    f.name = s["rfilename"].get<std::string>();
    if (s.contains("lfs") && s["lfs"].is_object() && s["lfs"].contains("sha256")) {
      f.lfs = true;
      f.blob = s["lfs"]["sha256"].get<std::string>();
      if (s["lfs"].contains("size") && s["lfs"]["size"].is_number_integer()) {
        f.size = s["lfs"]["size"].get<int64_t>();
      }
    } else if (s.contains("blobId") && s["blobId"].is_string()) {
      f.blob = s["blobId"].get<std::string>();
    }
    if (f.size < 0 && s.contains("size") && s["size"].is_number_integer()) {
      f.size = s["size"].get<int64_t>();
    }
    info.files.push_back(std::move(f));
  }
  return info;
}

// The digest of a file in the form the hub names it: SHA-256 for LFS files, the git blob
// id otherwise.
std::string file_digest(const fs::path& p, bool lfs) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> buf(1 << 20);
  Sha256 sha256;
  Sha1 sha1;
  if (!lfs) {
    const std::string head = "blob " + std::to_string(fs::file_size(p)) + std::string(1, '\0');
    sha1.update(head.data(), head.size());
  }
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (lfs) {
      sha256.update(buf.data(), n);
    } else {
      sha1.update(buf.data(), n);
    }
  }
  return lfs ? sha256.hex_digest() : sha1.hex_digest();
}

http::Progress progress_bar(const HubConfig& config, const std::string& name) {
  if (!config.progress || ::isatty(STDERR_FILENO) == 0) {
    return {};
  }
  return [name](uint64_t done, uint64_t total) {
    if (total > 0) {
      std::fprintf(stderr, "\r%s  %.1f / %.1f MB  %3d%%", name.c_str(), double(done) / 1e6,
                   double(total) / 1e6, int(100.0 * double(done) / double(total)));
    } else {
      std::fprintf(stderr, "\r%s  %.1f MB", name.c_str(), double(done) / 1e6);
    }
  };
}

// Downloads one file into blobs/ (resuming a partial one) and checks it.
void fetch_blob(const HubConfig& config, const ModelRef& ref, const RepoInfo& info,
                const RemoteFile& f, const fs::path& blob) {
  const fs::path partial = blob.string() + ".incomplete";
  const std::string url = config.endpoint + "/" + ref.repo_id + "/resolve/" + info.commit + "/" +
                          http::escape(f.name, true);
  const auto bar = progress_bar(config, f.name);
  const long status = http::download(url, config.token, partial.string(), bar);
  if (bar) {
    std::fprintf(stderr, "\n");
  }
  if (status != 200 && status != 206 && status != 416) {
    throw_status(status, ref, f.name);
  }
  const int64_t got = fs::exists(partial) ? int64_t(fs::file_size(partial)) : 0;
  if (f.size >= 0 && got != f.size) {
    fs::remove(partial);
    throw IoError("[hub] " + ref.repo_id + ": " + f.name + " has " + std::to_string(got) +
                  " bytes, the hub says " + std::to_string(f.size) + "; removed, try again");
  }
  const std::string digest = file_digest(partial, f.lfs);
  if (digest != f.blob) {
    fs::remove(partial);
    throw IoError("[hub] " + ref.repo_id + ": " + f.name + " failed its " +
                  (f.lfs ? "SHA-256" : "git blob id") + " check (expected " + f.blob + ", got " +
                  digest + "); removed, try again");
  }
  fs::rename(partial, blob);
}

// snapshots/<commit>/<name> -> ../../blobs/<blob> (one more ../ per folder level in name).
void link_into_snapshot(const fs::path& folder, const fs::path& target, const fs::path& blob) {
  fs::create_directories(target.parent_path());
  std::error_code ec;
  const fs::path rel = fs::relative(blob, target.parent_path(), ec);
  if (!ec) {
    fs::create_symlink(rel, target, ec);
  }
  if (ec) {  // a filesystem without symlinks: copy, as huggingface_hub does
    fs::copy_file(blob, target, fs::copy_options::overwrite_existing);
  }
  (void)folder;
}

std::string download_snapshot(const HubConfig& config, const ModelRef& ref,
                              const std::vector<std::string>& patterns, const fs::path& folder) {
  const std::string api = config.endpoint + "/api/models/" + ref.repo_id + "/revision/" +
                          http::escape(ref.revision, false) + "?blobs=true";
  http::Response r;
  try {
    r = http::get(api, config.token);
  } catch (const IoError& e) {
    // As huggingface_hub: a hub out of reach falls back to what the cache has.
    const std::string cached = cached_snapshot(folder, ref.revision);
    if (!cached.empty()) {
      return cached;
    }
    throw IoError(std::string(e.what()) + " (the hub " + config.endpoint +
                  " cannot be reached and the cache has no " + ref.repo_id + "@" + ref.revision +
                  "; set HF_HUB_OFFLINE=1 to work from the cache only)");
  }
  if (r.status != 200) {
    throw_status(r.status, ref, "the repository");
  }
  const RepoInfo info = parse_repo_info(r.body, api);
  const fs::path snap = folder / "snapshots" / info.commit;
  fs::create_directories(folder / "blobs");
  fs::create_directories(snap);
  for (const RemoteFile& f : info.files) {
    if (!matches_any(f.name, patterns)) {
      continue;
    }
    if (!safe_relative_path(f.name)) {
      throw FormatError(api, 0,
                        "[hub] the hub lists a file outside the repository: '" + f.name + "'");
    }
    if (!is_hex(f.blob) || (f.lfs && f.blob.size() != 64) || (!f.lfs && f.blob.size() != 40)) {
      throw FormatError(api, 0, "[hub] no usable hash for '" + f.name + "' (blobId / lfs.sha256)");
    }
    const fs::path target = snap / f.name;
    if (fs::exists(target)) {
      continue;
    }
    const fs::path blob = folder / "blobs" / f.blob;
    if (!fs::exists(blob)) {
      fetch_blob(config, ref, info, f, blob);
    }
    link_into_snapshot(folder, target, blob);
  }
  if (ref.revision != info.commit) {
    const fs::path refp = folder / "refs" / ref.revision;
    fs::create_directories(refp.parent_path());
    std::ofstream(refp, std::ios::trunc) << info.commit;
  }
  return snap.string();
}

}  // namespace

HubConfig HubConfig::from_environment() {
  HubConfig c;
  if (const std::string e = env("HF_ENDPOINT"); !e.empty()) {
    c.endpoint = e;
  }
  while (!c.endpoint.empty() && c.endpoint.back() == '/') {
    c.endpoint.pop_back();
  }
  std::string home = env("HF_HOME");
  if (home.empty()) {
    const std::string xdg = env("XDG_CACHE_HOME");
    home = (xdg.empty() ? env("HOME") + "/.cache" : xdg) + "/huggingface";
  }
  c.cache_dir = env("HF_HUB_CACHE");
  if (c.cache_dir.empty()) {
    c.cache_dir = home + "/hub";
  }
  c.token = env("HF_TOKEN");
  if (c.token.empty()) {
    const std::string path = env("HF_TOKEN_PATH").empty() ? home + "/token" : env("HF_TOKEN_PATH");
    if (fs::is_regular_file(path)) {
      c.token = read_text(path);
    }
  }
  c.offline = truthy(env("HF_HUB_OFFLINE"));
  return c;
}

ModelRef ModelRef::parse(const std::string& text) {
  ModelRef r;
  const size_t at = text.find('@');
  r.repo_id = text.substr(0, at);
  if (at != std::string::npos) {
    r.revision = text.substr(at + 1);
  }
  auto valid_part = [](const std::string& p) {
    return !p.empty() && p != "." && p != ".." && p.size() <= 96 &&
           p.find_first_not_of(
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
               std::string::npos;
  };
  const size_t slash = r.repo_id.find('/');
  const bool id_ok = slash == std::string::npos ? valid_part(r.repo_id)
                                                : valid_part(r.repo_id.substr(0, slash)) &&
                                                      valid_part(r.repo_id.substr(slash + 1));
  if (!id_ok) {
    throw std::invalid_argument("[hub] '" + text +
                                "' is not a model id; expected org/name[@revision] with "
                                "letters, digits, '.', '_' or '-'");
  }
  if (r.revision.empty() || !safe_relative_path(r.revision)) {
    throw std::invalid_argument("[hub] '" + text + "' has an invalid revision '" + r.revision +
                                "'");
  }
  return r;
}

const std::vector<std::string>& default_allow_patterns() {
  static const std::vector<std::string> patterns = {
      "*.json", "model*.safetensors", "tokenizer.model", "*.tiktoken", "*.txt", "*.jsonl",
      "*.jinja"};
  return patterns;
}

std::string repo_cache_folder(const HubConfig& config, const std::string& repo_id) {
  std::string name = "models--" + repo_id;
  for (size_t i = 0; (i = name.find('/', i)) != std::string::npos;) {
    name.replace(i, 1, "--");
  }
  return (fs::path(config.cache_dir) / name).string();
}

std::string resolve_model(const std::string& model, const HubConfig& config,
                          const std::vector<std::string>& allow_patterns) {
  if (fs::is_directory(model)) {
    return model;
  }
  ModelRef ref;
  try {
    ref = ModelRef::parse(model);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(e.what()) + ", and it is not a folder");
  }
  const fs::path folder = repo_cache_folder(config, ref.repo_id);
  if (config.offline) {
    const std::string cached = cached_snapshot(folder, ref.revision);
    if (cached.empty()) {
      throw IoError("[hub] offline (HF_HUB_OFFLINE) and the cache " + config.cache_dir +
                    " has no snapshot of " + ref.repo_id + "@" + ref.revision);
    }
    return cached;
  }
  return download_snapshot(config, ref, allow_patterns, folder);
}

}  // namespace mlxcpp::hub
