#include "bench/dedup/synthetic_checkpoints.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace hubmirror::bench {
namespace {

// xorshift64*: fast, deterministic.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9e3779b97f4a7c15ULL + 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545f4914f6cdd1dULL;
  }

 private:
  uint64_t s_;
};

struct Tensor {
  std::string name;
  std::vector<uint64_t> shape;
  uint64_t seed = 0;  // its content; a fine-tune changes the seed
  uint64_t bytes() const {
    uint64_t n = 2;  // BF16
    for (uint64_t d : shape) n *= d;
    return n;
  }
};

// BF16 values of a roughly normal distribution (sum of two uniforms): the
// exponent byte is clustered and the mantissa noisy, like trained weights.
void FillTensor(const Tensor& t, std::string* out) {
  Rng rng(t.seed);
  const uint64_t n = t.bytes() / 2;
  const size_t at = out->size();
  out->resize(at + n * 2);
  char* p = out->data() + at;
  for (uint64_t i = 0; i < n; i += 2) {
    uint64_t r = rng.Next();
    for (int k = 0; k < 2 && i + k < n; ++k) {
      uint32_t a = static_cast<uint32_t>(r >> (32 * k)) & 0xffff;
      uint32_t b = static_cast<uint32_t>(r >> (32 * k + 16)) & 0xffff;
      float v = (static_cast<float>(a) + static_cast<float>(b) - 65535.0f) * (0.02f / 65536.0f);
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      uint16_t bf = static_cast<uint16_t>(bits >> 16);
      std::memcpy(p + 2 * (i + k), &bf, 2);
    }
  }
}

std::string Safetensors(const std::vector<Tensor>& tensors, const std::string& metadata) {
  std::string header = "{\"__metadata__\":{" + metadata + "}";
  uint64_t offset = 0;
  for (const Tensor& t : tensors) {
    header += ",\"" + t.name + "\":{\"dtype\":\"BF16\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      header += (i ? "," : "") + std::to_string(t.shape[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + t.bytes()) + "]}";
    offset += t.bytes();
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';
  std::string out(8, '\0');
  uint64_t len = header.size();
  std::memcpy(out.data(), &len, 8);
  out += header;
  out.reserve(out.size() + offset);
  for (const Tensor& t : tensors) FillTensor(t, &out);
  return out;
}

uint64_t HeaderBytes(const std::string& file, const std::vector<Tensor>& tensors) {
  uint64_t data = 0;
  for (const Tensor& t : tensors) data += t.bytes();
  return file.size() - data;
}

SyntheticFile Write(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    throw std::runtime_error("cannot write " + path);
  }
  std::fclose(f);
  return SyntheticFile{name, path, bytes.size()};
}

std::vector<Tensor> BaseTensors(uint64_t target_bytes) {
  // A small decoder: embeddings, then layers of attention + MLP weights.
  const uint64_t hidden = 1024, vocab = 16384, ffn = 2816;
  std::vector<Tensor> t;
  uint64_t seed = 1;
  t.push_back({"model.embed_tokens.weight", {vocab, hidden}, seed++});
  uint64_t total = t.back().bytes();
  for (int layer = 0; total < target_bytes; ++layer) {
    std::string p = "model.layers." + std::to_string(layer) + ".";
    for (const char* w : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                          "self_attn.o_proj"}) {
      t.push_back({p + w + ".weight", {hidden, hidden}, seed++});
      total += t.back().bytes();
    }
    for (const char* w : {"mlp.gate_proj", "mlp.up_proj"}) {
      t.push_back({p + w + ".weight", {ffn, hidden}, seed++});
      total += t.back().bytes();
    }
    t.push_back({p + "mlp.down_proj.weight", {hidden, ffn}, seed++});
    total += t.back().bytes();
    t.push_back({p + "input_layernorm.weight", {hidden}, seed++});
    total += t.back().bytes();
  }
  return t;
}

std::string JsonlShard(uint64_t seed, uint64_t bytes) {
  static const char* kWords[] = {"model", "data", "token", "the", "of", "a", "weights", "train",
                                 "mirror", "hub", "layer", "fine", "tune", "text", "row", "json"};
  Rng rng(seed);
  std::string out;
  for (uint64_t row = 0; out.size() < bytes; ++row) {
    out += "{\"id\": " + std::to_string(seed * 1000000 + row) + ", \"text\": \"";
    int words = 8 + static_cast<int>(rng.Next() % 40);
    for (int w = 0; w < words; ++w) {
      out += kWords[rng.Next() % 16];
      out += (rng.Next() % 7 == 0) ? std::to_string(rng.Next() % 100000) + " " : " ";
    }
    out += "\", \"score\": " + std::to_string(rng.Next() % 1000) + "}\n";
  }
  return out;
}

}  // namespace

std::vector<SyntheticSet> GenerateSyntheticSets(const GeneratorOptions& o) {
  std::vector<SyntheticSet> sets;
  const std::vector<Tensor> base = BaseTensors(o.base_model_bytes);
  const std::string base_file = Safetensors(base, "\"format\":\"pt\"");

  SyntheticSet ft{"fine-tune", {}, 0};
  ft.files.push_back(Write(o.dir, "base/model.safetensors", base_file));
  ft.unique_bytes = base_file.size();
  for (int i = 1; i <= o.fine_tunes; ++i) {
    std::vector<Tensor> tuned = base;
    Rng pick(1000 + i);
    uint64_t changed = 0, total = 0;
    for (const Tensor& t : tuned) total += t.bytes();
    // Rewrite whole tensors (skipping the embeddings) until the fraction is met.
    while (changed < o.fine_tune_fraction * total) {
      Tensor& t = tuned[1 + pick.Next() % (tuned.size() - 1)];
      if (t.seed >= 1000000) continue;
      t.seed = 1000000 * i + t.seed;
      changed += t.bytes();
    }
    std::string meta = "\"format\":\"pt\",\"fine_tuned_from\":\"acme/base\",\"run\":\"" +
                       std::string(static_cast<size_t>(7 * i), 'x') + "\"";
    std::string file = Safetensors(tuned, meta);
    ft.files.push_back(Write(o.dir, "ft-" + std::to_string(i) + "/model.safetensors", file));
    ft.unique_bytes += changed + HeaderBytes(file, tuned);
  }
  sets.push_back(std::move(ft));

  SyntheticSet rev{"revision", {}, 0};
  rev.files.push_back(sets[0].files[0]);
  std::vector<Tensor> grown = base;
  grown.push_back({"lm_head.extra.weight", {2048, 1024}, 777777});
  std::string grown_file = Safetensors(grown, "\"format\":\"pt\"");
  rev.files.push_back(Write(o.dir, "rev-2/model.safetensors", grown_file));
  rev.unique_bytes = base_file.size() + grown.back().bytes() + HeaderBytes(grown_file, grown);
  sets.push_back(std::move(rev));

  SyntheticSet ds{"dataset", {}, 0};
  for (int s = 0; s < o.dataset_shards; ++s) {
    std::string shard = JsonlShard(s + 1, o.shard_bytes);
    std::string name = "train-" + std::to_string(s) + ".jsonl";
    ds.files.push_back(Write(o.dir, "ds-v1/" + name, shard));
    ds.unique_bytes += shard.size();
    // v2: a few rows edited in place and a few inserted.
    Rng edit(50 + s);
    uint64_t edited = 0;
    for (int e = 0; e < 6; ++e) {
      size_t at = shard.find('\n', edit.Next() % shard.size());
      if (at == std::string::npos) continue;
      std::string row = "{\"id\": -1, \"text\": \"corrected row " + std::to_string(e) + "\"}\n";
      if (e % 2 == 0) {
        shard.insert(at + 1, row);
      } else {
        size_t end = shard.find('\n', at + 1);
        if (end == std::string::npos) continue;
        shard.replace(at + 1, end - at, row);
      }
      edited += row.size();
    }
    ds.files.push_back(Write(o.dir, "ds-v2/" + name, shard));
    ds.unique_bytes += edited;
  }
  sets.push_back(std::move(ds));
  return sets;
}

}  // namespace hubmirror::bench
