#include "core/tokenizer/tokenizer.h"

#include "core/tokenizer/bpe_tokenizer.h"
#include "core/tokenizer/byte_tokenizer.h"

namespace tf {

std::unique_ptr<Tokenizer> make_tokenizer(const std::string& spec) {
  if (spec == "byte") return std::make_unique<ByteTokenizer>();
  return std::make_unique<BpeTokenizer>(spec);
}

}  // namespace tf
