// The hub client against a mock of the hub's endpoints on 127.0.0.1: cache layout,
// allow patterns, tokens, redirects, resumed downloads, hash checks, HTTP errors,
// network failures and offline mode.
#include "mlxcpp/hub/hub.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "hub/test_http_server.h"
#include "io/io_test_helpers.h"
#include "mlxcpp/hub/digest.h"

namespace mlxcpp::test {
namespace {

using hub::HttpError;
using hub::HubConfig;
using hub::ModelRef;

TEST(HubDigest, MatchesTheFipsAndGitVectors) {
  auto sha256 = [](const std::string& s) {
    hub::Sha256 h;
    h.update(s.data(), s.size());
    return h.hex_digest();
  };
  auto sha1 = [](const std::string& s) {
    hub::Sha1 h;
    h.update(s.data(), s.size());
    return h.hex_digest();
  };
  EXPECT_EQ(sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  hub::Sha256 million;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) {
    million.update(chunk.data(), chunk.size());
  }
  EXPECT_EQ(million.hex_digest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha1(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  // git hash-object of a file holding "hello\n".
  EXPECT_EQ(sha1(std::string("blob 6\0hello\n", 13)), "ce013625030ba8dba906f756967f9e9ca394464a");
}

TEST(HubRefs, ParseAndCacheNames) {
  const auto r = ModelRef::parse("mlx-community/Qwen3-0.6B-4bit@v1.0");
  EXPECT_EQ(r.repo_id, "mlx-community/Qwen3-0.6B-4bit");
  EXPECT_EQ(r.revision, "v1.0");
  EXPECT_EQ(ModelRef::parse("gpt2").revision, "main");
  EXPECT_EQ(ModelRef::parse("org/name@refs/pr/1").revision, "refs/pr/1");
  for (const char* bad : {"", "/name", "org/", "a/b/c", "org/../x", "org/na me", "org/name@",
                          "org/name@../x", "../x"}) {
    EXPECT_THROW(ModelRef::parse(bad), std::invalid_argument) << bad;
  }
  HubConfig c;
  c.cache_dir = "/cache";
  EXPECT_EQ(hub::repo_cache_folder(c, "org/name"), "/cache/models--org--name");
}

constexpr const char* kCommit = "0123456789abcdef0123456789abcdef01234567";

// The hub's API and file endpoints for one repository "org/model".
class MockHub {
 public:
  struct File {
    std::string content;
    bool lfs = false;
  };
  std::map<std::string, File> files;
  int api_status = 200;
  std::string required_token;  // when set, requests without it get 401
  std::string cut_once;        // the first download of this file breaks off halfway
  bool ignore_range = false;
  std::string corrupt;        // this file is served with one byte flipped
  std::string extra_sibling;  // listed but never served (e.g. "../evil.json")
  std::string cdn_host;       // when set, LFS files redirect to http://<cdn_host>:port/cdn/
  int port = 0;

  static std::string blob_id(const File& f) {
    if (f.lfs) {
      hub::Sha256 h;
      h.update(f.content.data(), f.content.size());
      return h.hex_digest();
    }
    hub::Sha1 h;
    const std::string head = "blob " + std::to_string(f.content.size()) + std::string(1, '\0');
    h.update(head.data(), head.size());
    h.update(f.content.data(), f.content.size());
    return h.hex_digest();
  }

  TestHttpServer::Reply operator()(const TestHttpServer::Request& r) {
    if (!required_token.empty() && r.path.rfind("/cdn/", 0) != 0 &&
        r.header("authorization") != "Bearer " + required_token) {
      return {401, {}, "{\"error\":\"unauthorized\"}"};
    }
    if (r.path == "/api/models/org/model/revision/main" ||
        r.path == std::string("/api/models/org/model/revision/") + kCommit) {
      if (api_status != 200) {
        return {api_status, {}, "{}"};
      }
      nlohmann::json siblings = nlohmann::json::array();
      for (const auto& [name, f] : files) {
        nlohmann::json s = {{"rfilename", name}, {"size", f.content.size()}};
        if (f.lfs) {
          s["lfs"] = {{"sha256", blob_id(f)}, {"size", f.content.size()}, {"pointerSize", 134}};
          s["blobId"] = std::string(40, 'e');
        } else {
          s["blobId"] = blob_id(f);
        }
        siblings.push_back(s);
      }
      if (!extra_sibling.empty()) {
        siblings.push_back({{"rfilename", extra_sibling}, {"blobId", std::string(40, 'a')}});
      }
      return {200, {}, nlohmann::json{{"sha", kCommit}, {"siblings", siblings}}.dump()};
    }
    const std::string resolve = std::string("/org/model/resolve/") + kCommit + "/";
    std::string name;
    if (r.path.rfind(resolve, 0) == 0) {
      name = r.path.substr(resolve.size());
      if (!cdn_host.empty() && files.count(name) && files[name].lfs) {
        return {302,
                {{"Location", "http://" + cdn_host + ":" + std::to_string(port) + "/cdn/" + name}},
                ""};
      }
    } else if (r.path.rfind("/cdn/", 0) == 0) {
      name = r.path.substr(5);
    }
    if (name.empty() || !files.count(name)) {
      return {404, {}, "not found"};
    }
    std::string body = files[name].content;
    if (name == corrupt) {
      body[body.size() / 2] ^= 1;
    }
    const std::string range = r.header("range");
    if (!range.empty() && !ignore_range) {
      const size_t from = std::stoul(range.substr(6));
      if (from >= body.size()) {
        return {416, {}, ""};
      }
      return {206,
              {{"Content-Range", "bytes " + std::to_string(from) + "-" +
                                     std::to_string(body.size() - 1) + "/" +
                                     std::to_string(body.size())}},
              body.substr(from)};
    }
    TestHttpServer::Reply reply{200, {}, body};
    if (name == cut_once) {
      reply.cut_after = body.size() / 2;
      cut_once.clear();
    }
    return reply;
  }
};

class Hub : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    mock_.files["config.json"] = {"{\"model_type\": \"llama\"}\n", false};
    mock_.files["model.safetensors"] = {std::string(300000, 'w') + "end", true};
    mock_.files["tokenizer.model"] = {"spm-bytes", true};
    mock_.files["sub/extra.json"] = {"{}", false};
    mock_.files["README.md"] = {"# not needed", false};
    mock_.files["pytorch_model.bin"] = {"not needed either", true};
    server_ = std::make_unique<TestHttpServer>([this](const auto& r) {
      std::lock_guard<std::mutex> lock(mu_);
      return mock_(r);
    });
    mock_.port = server_->port();
    config_.endpoint = server_->url();
    config_.cache_dir = path("cache");
    config_.progress = false;
  }
  std::string folder() const { return config_.cache_dir + "/models--org--model"; }
  size_t file_requests() const {
    size_t n = 0;
    for (const auto& r : server_->requests()) {
      n += r.path.find("/resolve/") != std::string::npos || r.path.rfind("/cdn/", 0) == 0;
    }
    return n;
  }

  std::mutex mu_;
  MockHub mock_;
  std::unique_ptr<TestHttpServer> server_;
  HubConfig config_;
};

TEST_F(Hub, DownloadsTheAllowedFilesIntoTheCacheLayout) {
  const std::string snap = hub::resolve_model("org/model", config_);
  EXPECT_EQ(snap, folder() + "/snapshots/" + kCommit);
  EXPECT_EQ(read_bytes(folder() + "/refs/main"), kCommit);
  std::set<std::string> present;
  for (const auto& e : fs::recursive_directory_iterator(snap)) {
    if (!fs::is_directory(e.path())) {
      present.insert(e.path().lexically_relative(snap).string());
    }
  }
  EXPECT_EQ(present, (std::set<std::string>{"config.json", "model.safetensors", "tokenizer.model",
                                            "sub/extra.json"}));
  for (const auto& name : present) {
    SCOPED_TRACE(name);
    const fs::path p = fs::path(snap) / name;
    ASSERT_TRUE(fs::is_symlink(p));
    const std::string blob = MockHub::blob_id(mock_.files[name]);
    EXPECT_EQ(fs::canonical(p), fs::canonical(folder() + "/blobs/" + blob));
    EXPECT_EQ(fs::read_symlink(p).string().substr(0, 6), "../../");  // relative, as the hub's
    EXPECT_EQ(read_bytes(p.string()), mock_.files[name].content);
  }
  // A second resolve finds everything in the cache and downloads nothing.
  const size_t before = file_requests();
  EXPECT_EQ(hub::resolve_model("org/model", config_), snap);
  EXPECT_EQ(file_requests(), before);
  // Another revision sharing blobs only links them.
  EXPECT_EQ(hub::resolve_model(std::string("org/model@") + kCommit, config_), snap);
  EXPECT_EQ(file_requests(), before);
}

TEST_F(Hub, SendsTheTokenToTheHubButNotToARedirectedHost) {
  mock_.required_token = "secret";
  mock_.cdn_host = "localhost";
  EXPECT_THROW(hub::resolve_model("org/model", config_), HttpError);
  config_.token = "secret";
  const std::string snap = hub::resolve_model("org/model", config_);
  EXPECT_EQ(read_bytes(snap + "/model.safetensors"), mock_.files["model.safetensors"].content);
  size_t cdn = 0;
  for (const auto& r : server_->requests()) {
    if (r.path.rfind("/cdn/", 0) == 0) {
      ++cdn;
      EXPECT_EQ(r.header("authorization"), "") << r.path;
    } else if (r.path.rfind("/api/", 0) == 0 && !r.header("authorization").empty()) {
      EXPECT_EQ(r.header("authorization"), "Bearer secret");
    }
  }
  EXPECT_EQ(cdn, 2u);  // model.safetensors and tokenizer.model
}

TEST_F(Hub, ResumesAnInterruptedDownload) {
  mock_.cut_once = "model.safetensors";
  EXPECT_THROW(hub::resolve_model("org/model", config_), IoError);
  const std::string blob = MockHub::blob_id(mock_.files["model.safetensors"]);
  const std::string partial = folder() + "/blobs/" + blob + ".incomplete";
  ASSERT_TRUE(fs::exists(partial));
  const size_t have = fs::file_size(partial);
  EXPECT_EQ(have, mock_.files["model.safetensors"].content.size() / 2);
  const std::string snap = hub::resolve_model("org/model", config_);
  EXPECT_EQ(read_bytes(snap + "/model.safetensors"), mock_.files["model.safetensors"].content);
  EXPECT_FALSE(fs::exists(partial));
  bool resumed = false;
  for (const auto& r : server_->requests()) {
    resumed |= r.header("range") == "bytes=" + std::to_string(have) + "-";
  }
  EXPECT_TRUE(resumed);
}

TEST_F(Hub, RestartsWhenTheServerIgnoresTheRange) {
  mock_.cut_once = "model.safetensors";
  mock_.ignore_range = true;
  EXPECT_THROW(hub::resolve_model("org/model", config_), IoError);
  const std::string snap = hub::resolve_model("org/model", config_);
  EXPECT_EQ(read_bytes(snap + "/model.safetensors"), mock_.files["model.safetensors"].content);
}

TEST_F(Hub, CorruptDownloadsFailTheirHashCheckAndLeaveNothing) {
  for (const char* name : {"model.safetensors", "config.json"}) {
    SCOPED_TRACE(name);
    mock_.corrupt = name;
    config_.cache_dir = path(std::string("cache-") + name);
    try {
      hub::resolve_model("org/model", config_);
      ADD_FAILURE() << "a corrupt download was accepted";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(name) + " failed its"), std::string::npos)
          << e.what();
    }
    const std::string blob = folder() + "/blobs/" + MockHub::blob_id(mock_.files[name]);
    EXPECT_FALSE(fs::exists(blob));
    EXPECT_FALSE(fs::exists(blob + ".incomplete"));
    EXPECT_FALSE(fs::exists(folder() + "/snapshots/" + kCommit + "/" + name));
  }
}

TEST_F(Hub, HttpErrorsNameTheirCause) {
  for (auto [status, words] : std::vector<std::pair<int, std::string>>{
           {401, "set HF_TOKEN"}, {403, "gated"}, {404, "not found"}, {500, "HTTP 500"}}) {
    mock_.api_status = status;
    try {
      hub::resolve_model("org/model", config_);
      ADD_FAILURE() << status;
    } catch (const HttpError& e) {
      EXPECT_EQ(e.status(), status);
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("org/model@main"), std::string::npos) << e.what();
    }
  }
}

TEST_F(Hub, FileNamesOutsideTheRepositoryAreRefused) {
  mock_.extra_sibling = "../../evil.json";
  expect_format_error([&] { hub::resolve_model("org/model", config_); }, "outside the repository");
  EXPECT_FALSE(fs::exists(folder() + "/evil.json"));
  EXPECT_FALSE(fs::exists(config_.cache_dir + "/evil.json"));
}

TEST_F(Hub, NetworkDownFallsBackToTheCacheOrSaysWhy) {
  HubConfig down = config_;
  {
    TestHttpServer closed([](const auto&) { return TestHttpServer::Reply{}; });
    down.endpoint = closed.url();
  }  // the port is closed now: connections are refused
  try {
    hub::resolve_model("org/model", down);
    ADD_FAILURE() << "resolved without a hub or a cache";
  } catch (const HttpError&) {
    ADD_FAILURE() << "an HTTP status for a refused connection";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot be reached"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("HF_HUB_OFFLINE"), std::string::npos) << e.what();
  }
  const std::string snap = hub::resolve_model("org/model", config_);
  EXPECT_EQ(hub::resolve_model("org/model", down), snap);
}

TEST_F(Hub, OfflineUsesTheCacheOnly) {
  HubConfig offline = config_;
  offline.offline = true;
  EXPECT_THROW(hub::resolve_model("org/model", offline), IoError);
  EXPECT_TRUE(server_->requests().empty());
  const std::string snap = hub::resolve_model("org/model", config_);
  const size_t seen = server_->requests().size();
  EXPECT_EQ(hub::resolve_model("org/model", offline), snap);
  EXPECT_EQ(hub::resolve_model(std::string("org/model@") + kCommit, offline), snap);
  EXPECT_THROW(hub::resolve_model("org/model@v2", offline), IoError);
  EXPECT_EQ(server_->requests().size(), seen);
}

TEST_F(Hub, FoldersAndBadIdsNeedNoHub) {
  EXPECT_EQ(hub::resolve_model(dir_.string(), config_), dir_.string());
  EXPECT_THROW(hub::resolve_model("no such/folder here", config_), std::invalid_argument);
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(Hub, ConfigComesFromTheEnvironment) {
  const std::string home = path("hfhome");
  fs::create_directories(home);
  std::ofstream(home + "/token") << "file-token\n";
  ::setenv("HF_HOME", home.c_str(), 1);
  ::setenv("HF_ENDPOINT", "http://127.0.0.1:9/", 1);
  ::unsetenv("HF_TOKEN");
  ::unsetenv("HF_TOKEN_PATH");
  ::unsetenv("HF_HUB_CACHE");
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  HubConfig c = HubConfig::from_environment();
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(c.cache_dir, home + "/hub");
  EXPECT_EQ(c.token, "file-token");
  EXPECT_TRUE(c.offline);
  ::setenv("HF_TOKEN", "env-token", 1);
  ::setenv("HF_HUB_CACHE", "/elsewhere", 1);
  ::setenv("HF_HUB_OFFLINE", "0", 1);
  c = HubConfig::from_environment();
  EXPECT_EQ(c.token, "env-token");
  EXPECT_EQ(c.cache_dir, "/elsewhere");
  EXPECT_FALSE(c.offline);
  for (const char* v : {"HF_HOME", "HF_ENDPOINT", "HF_TOKEN", "HF_HUB_CACHE", "HF_HUB_OFFLINE"}) {
    ::unsetenv(v);
  }
}

}  // namespace
}  // namespace mlxcpp::test
