#include "mlxcpp/hub/http.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "mlxcpp/core/errors.h"

namespace mlxcpp::hub::http {

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct HeaderListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Curl = std::unique_ptr<CURL, CurlDeleter>;
using HeaderList = std::unique_ptr<curl_slist, HeaderListDeleter>;

Curl make_handle(const std::string& url, const std::string& token, HeaderList& headers) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  Curl c(curl_easy_init());
  if (!c) {
    throw IoError("[hub] curl_easy_init failed");
  }
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c.get(), CURLOPT_MAXREDIRS, 10L);
  // Never send the token to another host a redirect points at (the hub's CDN).
  curl_easy_setopt(c.get(), CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled transfer (under 1 byte/s for 60 s) fails instead of hanging.
  curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c.get(), CURLOPT_USERAGENT, "mlxcpp/hub");
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_slist* list = nullptr;
  if (!token.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(c.get(), CURLOPT_XOAUTH2_BEARER, token.c_str());
  }
  list = curl_slist_append(list, "Accept-Encoding: identity");
  headers.reset(list);
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list);
  return c;
}

size_t append_to_string(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

void check(CURLcode rc, const std::string& url, const char* errbuf) {
  if (rc != CURLE_OK) {
    const std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    throw IoError("[hub] request to " + url + " failed: " + detail);
  }
}

struct FileSink {
  std::FILE* file = nullptr;
  long status = 0;
  bool restart = false;  // the server sent the whole file: drop what we had
  bool failed = false;
  CURL* handle = nullptr;
  const std::string* path = nullptr;
  uint64_t offset = 0;
  const Progress* progress = nullptr;
};

size_t write_to_file(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<FileSink*>(user);
  if (s->status == 0) {
    curl_easy_getinfo(s->handle, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status == 200 && s->offset > 0) {
      s->restart = true;
    }
    if (s->status != 200 && s->status != 206) {
      return size * n;  // an error page: read and drop it
    }
    s->file = std::fopen(s->path->c_str(), s->restart || s->offset == 0 ? "wb" : "ab");
    if (s->file == nullptr) {
      s->failed = true;
      return 0;
    }
  }
  if (s->file == nullptr) {
    return size * n;
  }
  return std::fwrite(data, size, n, s->file) == n ? size * n : 0;
}

int report_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  const auto* s = static_cast<FileSink*>(user);
  if (s->progress != nullptr && *s->progress &&
      (s->status == 200 || s->status == 206 || s->status == 0)) {
    const uint64_t base = s->restart ? 0 : s->offset;
    (*s->progress)(base + uint64_t(now), total > 0 ? base + uint64_t(total) : 0);
  }
  return 0;
}

}  // namespace

Response get(const std::string& url, const std::string& token) {
  HeaderList headers;
  Curl c = make_handle(url, token, headers);
  Response r;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, append_to_string);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
  check(curl_easy_perform(c.get()), url, errbuf);
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

long download(const std::string& url, const std::string& token, const std::string& path,
              const Progress& progress) {
  struct stat st;
  const uint64_t have = ::stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
  HeaderList headers;
  Curl c = make_handle(url, token, headers);
  FileSink sink;
  sink.handle = c.get();
  sink.path = &path;
  sink.offset = have;
  sink.progress = &progress;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
  // A plain Range header rather than CURLOPT_RESUME_FROM: a server that ignores it sends
  // the whole file with 200, which write_to_file takes from the start.
  const std::string range = std::to_string(have) + "-";
  if (have > 0) {
    curl_easy_setopt(c.get(), CURLOPT_RANGE, range.c_str());
  }
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, write_to_file);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, report_progress);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, &sink);
  curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
  const CURLcode rc = curl_easy_perform(c.get());
  long status = sink.status;
  if (status == 0) {
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  }
  const bool closed_ok = sink.file == nullptr || std::fclose(sink.file) == 0;
  if (sink.failed || !closed_ok) {
    throw IoError("[hub] cannot write " + path);
  }
  // A range past the end of a complete partial file: the caller verifies what it has.
  if (status == 416) {
    return status;
  }
  check(rc, url, errbuf);
  return status;
}

std::string escape(const std::string& s, bool keep_slash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char ch : s) {
    const bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
                       ch == '~' || (keep_slash && ch == '/');
    if (plain) {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(digits[ch >> 4]);
      out.push_back(digits[ch & 15]);
    }
  }
  return out;
}

}  // namespace mlxcpp::hub::http
