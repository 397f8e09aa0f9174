// WordLevel: each piece is one vocabulary entry, or the unknown token.
#include "mlxcpp/tokenizer/models/model.h"

namespace mlxcpp::tokenizer {

namespace {

class WordLevel : public Model {
 public:
  WordLevel(Vocab vocab, std::string unk) : vocab_(std::move(vocab)), unk_(std::move(unk)) {}

  std::string_view type() const override { return "WordLevel"; }

  void tokenize(std::string_view text, bool, std::vector<ModelToken>& out,
                ModelScratch&) const override {
    const auto n = static_cast<uint32_t>(text.size());
    if (auto id = vocab_.find(text)) {
      out.push_back({*id, 0, n, false});
      return;
    }
    if (auto unk = vocab_.find(unk_)) {
      out.push_back({*unk, 0, n, false});
      return;
    }
    throw Error("[WordLevel] \"" + std::string(text) + "\" is not in the vocabulary and the " +
                "unknown token \"" + unk_ + "\" is missing too");
  }

  std::optional<int32_t> token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return vocab_.size(); }
  const StringIdMap& vocab() const override { return vocab_.map(); }

 private:
  Vocab vocab_;
  std::string unk_;
};

}  // namespace

std::unique_ptr<Model> make_wordlevel(const json& j, const std::string& where) {
  Vocab vocab;
  vocab.build(read_vocab_object(jsonu::require(j, "vocab", where), where + ".vocab"), where);
  return std::make_unique<WordLevel>(std::move(vocab),
                                     jsonu::get_string(j, "unk_token", where, "<unk>"));
}

}  // namespace mlxcpp::tokenizer
