// WordPiece: greedy longest-match-first over the characters of a word, with a
// prefix ("##") on every piece but the first; a word that cannot be covered is
// one unknown token.
#include "mlxcpp/tokenizer/models/model.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer {

namespace {

class WordPiece : public Model {
 public:
  WordPiece(Vocab vocab, std::string unk, std::string prefix, size_t max_chars)
      : vocab_(std::move(vocab)),
        unk_(std::move(unk)),
        prefix_(std::move(prefix)),
        max_chars_(max_chars) {}

  std::string_view type() const override { return "WordPiece"; }

  void tokenize(std::string_view text, bool, std::vector<ModelToken>& out,
                ModelScratch& scratch) const override {
    const auto n = static_cast<uint32_t>(text.size());
    if (utf8::length(text) > max_chars_) {
      out.push_back({unk_id(), 0, n, false});
      return;
    }
    const size_t first = out.size();
    std::string& buf = scratch.key;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.size();
      bool found = false;
      while (start < end) {
        std::string_view sub = text.substr(start, end - start);
        std::optional<int32_t> id;
        if (start > 0) {
          buf.assign(prefix_);
          buf.append(sub);
          id = vocab_.find(buf);
        } else {
          id = vocab_.find(sub);
        }
        if (id) {
          out.push_back({*id, static_cast<uint32_t>(start), static_cast<uint32_t>(end), false});
          found = true;
          break;
        }
        end = utf8::char_start(text, end - 1);
      }
      if (!found) {
        out.resize(first);
        out.push_back({unk_id(), 0, n, false});
        return;
      }
      start = end;
    }
  }

  std::optional<int32_t> token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return vocab_.size(); }
  const StringIdMap& vocab() const override { return vocab_.map(); }

 private:
  int32_t unk_id() const {
    if (auto id = vocab_.find(unk_)) {
      return *id;
    }
    throw Error("[WordPiece] the unknown token \"" + unk_ + "\" is not in the vocabulary");
  }

  Vocab vocab_;
  std::string unk_;
  std::string prefix_;
  size_t max_chars_;
};

}  // namespace

std::unique_ptr<Model> make_wordpiece(const json& j, const std::string& where) {
  Vocab vocab;
  vocab.build(read_vocab_object(jsonu::require(j, "vocab", where), where + ".vocab"), where);
  return std::make_unique<WordPiece>(
      std::move(vocab), jsonu::get_string(j, "unk_token", where, "[UNK]"),
      jsonu::get_string(j, "continuing_subword_prefix", where, "##"),
      static_cast<size_t>(jsonu::get_int(j, "max_input_chars_per_word", where, 100, 0, INT32_MAX)));
}

}  // namespace mlxcpp::tokenizer
