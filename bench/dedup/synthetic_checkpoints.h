// Deterministic synthetic Hub content for the dedup benchmark.
//
//   fine-tune set  a base safetensors model and fine-tunes of it: each
//                  rewrites a subset of tensors and adds header metadata, so
//                  its header length (and every data offset after it) shifts
//   revision set   the base and a revision that appends one tensor
//   dataset set    jsonl shards and a revision of them with a few edited and
//                  inserted lines
//
// Each set also reports its "unique" bytes: what is genuinely new content
// (the base once, plus each derived file's rewritten tensors, headers and
// edits); the ideal store keeps exactly that.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hubmirror::bench {

struct SyntheticFile {
  std::string name;  // e.g. "ft-2/model.safetensors"
  std::string path;  // where it was written
  uint64_t size = 0;
};

struct SyntheticSet {
  std::string name;
  std::vector<SyntheticFile> files;
  uint64_t unique_bytes = 0;
};

struct GeneratorOptions {
  std::string dir;                       // files are written under it
  uint64_t base_model_bytes = 256 << 20; // approximate
  int fine_tunes = 3;
  double fine_tune_fraction = 0.08;      // share of tensor bytes rewritten
  int dataset_shards = 4;
  uint64_t shard_bytes = 16 << 20;
};

// Writes every set under options.dir; returns them in a fixed order.
std::vector<SyntheticSet> GenerateSyntheticSets(const GeneratorOptions& options);

}  // namespace hubmirror::bench
