// A thin libcurl client for the hub: small GETs into memory and resumable downloads into
// a file. Internal to hub/.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace mlxcpp::hub::http {

struct Response {
  long status = 0;
  std::string body;
};

/** Bytes done and expected (0 when unknown) of the transfer in progress. */
using Progress = std::function<void(uint64_t done, uint64_t total)>;

/** GET url into memory, following redirects; `token` (if any) goes as a bearer token, and
 *  curl drops it when a redirect leaves the host. Throws IoError when no answer came
 *  (connection refused, DNS, timeout). */
Response get(const std::string& url, const std::string& token);

/** GET url appended to the file `path`, asking for the bytes past its current size
 *  (Range) so an interrupted download resumes; a server that ignores the range restarts
 *  the file. Returns the final status (200/206 on success). Throws IoError when the
 *  transfer breaks off. */
long download(const std::string& url, const std::string& token, const std::string& path,
              const Progress& progress);

/** url-encodes s, keeping '/' when keep_slash (file paths inside a repository). */
std::string escape(const std::string& s, bool keep_slash);

}  // namespace mlxcpp::hub::http
