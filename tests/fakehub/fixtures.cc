#include "tests/fakehub/fixtures.h"

#include <algorithm>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakehub/digest.h"

namespace fakehub {
namespace {

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * kKiB;

// Pseudo-random bytes from xorshift64*, seeded by FNV-1a of `label`.
std::string GenerateBytes(std::string_view label, size_t size) {
  uint64_t state = 1469598103934665603ull;
  for (char c : label) state = (state ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  std::string out(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    uint64_t word = state * 2685821657736338717ull;
    for (size_t b = 0; b < 8 && i + b < size; ++b) {
      out[i + b] = static_cast<char>(word >> (8 * b));
    }
  }
  return out;
}

std::string JsonLines(std::string_view split, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += "{\"id\": " + std::to_string(i) + ", \"split\": \"" + std::string(split) +
           "\", \"text\": \"sample sentence number " + std::to_string(i) + "\"}\n";
  }
  return out;
}

// A commit id that is stable across runs: sha1 of a descriptive name.
std::string CommitId(std::string_view name) { return Sha1Hex("commit:" + std::string(name)); }

CommitFile File(std::string path, std::shared_ptr<const Blob> blob) {
  bool lfs = IsLfsPath(path, blob->size());
  return CommitFile{std::move(path), std::move(blob), lfs};
}

// Blobs shared between commits and repositories.
struct SharedBlobs {
  std::shared_ptr<const Blob> readme = MakeBlob(
      "---\nlicense: mit\n---\n# tiny-model\n\nA fake model served by hubmirror-fakehub.\n");
  std::shared_ptr<const Blob> tokenizer_json = MakeBlob(
      "{\"version\": \"1.0\", \"model\": {\"type\": \"WordLevel\", \"unk_token\": \"[UNK]\"}}\n");
  std::shared_ptr<const Blob> vocab_txt = MakeBlob("[PAD]\n[UNK]\nhello\nworld\nmirror\n");
  std::shared_ptr<const Blob> weights_a = MakeBlob(GenerateBytes("tiny-model weights A", 3 * kMiB));
  std::shared_ptr<const Blob> weights_b = MakeBlob(GenerateBytes("tiny-model weights B", 3 * kMiB));
};

Repo TinyModel(const SharedBlobs& shared) {
  Repo repo(RepoType::kModel, "acme/tiny-model",
            RepoCard{"acme",
                     "2024-01-02T03:04:05.000Z",
                     {"transformers", "safetensors", "en"},
                     "text-generation",
                     "transformers",
                     1234,
                     56},
            /*gated=*/false);
  auto config_v1 =
      MakeBlob("{\"model_type\": \"tiny\", \"hidden_size\": 64, \"revision\": \"v1\"}\n");
  auto config_v2 = MakeBlob(
      "{\"model_type\": \"tiny\", \"hidden_size\": 64, \"num_layers\": 2, \"revision\": \"v2\"}\n");
  auto part = MakeBlob(GenerateBytes("tiny-model part-00001", 3 * kMiB / 2));
  auto notes = MakeBlob("Notes added in pull request #1.\n");

  std::vector<CommitFile> v1 = {
      File("config.json", config_v1),
      File("README.md", shared.readme),
      File("model.safetensors", shared.weights_a),
      File("tokenizer/tokenizer.json", shared.tokenizer_json),
      File("tokenizer/vocab.txt", shared.vocab_txt),
  };
  std::vector<CommitFile> main = {
      File("config.json", config_v2),
      File("README.md", shared.readme),
      File("model.safetensors", shared.weights_b),
      File("weights/part-00001.bin", part),
      File("tokenizer/tokenizer.json", shared.tokenizer_json),
      File("tokenizer/vocab.txt", shared.vocab_txt),
  };
  std::vector<CommitFile> pr = main;
  pr.push_back(File("notes.txt", notes));

  // "main" first: the first ref added is the default branch.
  // History: C1 (tag v1) <- C2 (main) <- C3 (refs/pr/1).
  repo.AddCommit("main", Commit(CommitId("acme/tiny-model C2"), "Update weights",
                                "2024-02-03T04:05:06.000Z", std::move(main),
                                CommitId("acme/tiny-model C1"), "alice"));
  repo.AddCommit("v1",
                 Commit(CommitId("acme/tiny-model C1"), "Initial commit",
                        "2024-01-02T03:04:05.000Z", std::move(v1), "", "alice"),
                 /*tag=*/true);
  repo.AddCommit("refs/pr/1", Commit(CommitId("acme/tiny-model C3"), "Add notes",
                                     "2024-03-04T05:06:07.000Z", std::move(pr),
                                     CommitId("acme/tiny-model C2"), "bob"));
  return repo;
}

Repo TinyModelFinetune(const SharedBlobs& shared) {
  Repo repo(RepoType::kModel, "acme/tiny-model-ft",
            RepoCard{"acme",
                     "2024-01-05T00:00:00.000Z",
                     {"transformers", "peft"},
                     "text-generation",
                     "peft",
                     42,
                     3},
            /*gated=*/false);
  repo.AddCommit(
      "main",
      Commit(CommitId("acme/tiny-model-ft main"), "Fine-tune", "2024-01-06T00:00:00.000Z",
             {
                 File("config.json", MakeBlob("{\"model_type\": \"tiny\", \"finetuned\": true}\n")),
                 File("model.safetensors", shared.weights_a),
                 File("tokenizer/tokenizer.json", shared.tokenizer_json),
                 File("tokenizer/vocab.txt", shared.vocab_txt),
                 File("adapter.safetensors",
                      MakeBlob(GenerateBytes("tiny-model-ft adapter", 512 * kKiB))),
             }));
  return repo;
}

Repo GptMini() {
  Repo repo(RepoType::kModel, "gpt-mini",
            RepoCard{"gpt-mini",
                     "2022-03-02T23:29:04.000Z",
                     {"pytorch", "gpt2"},
                     "text-generation",
                     "transformers",
                     99999,
                     1000},
            /*gated=*/false);
  repo.AddCommit(
      "main",
      Commit(CommitId("gpt-mini main"), "Legacy upload", "2022-03-02T23:29:04.000Z",
             {
                 File("config.json", MakeBlob("{\"model_type\": \"gpt2\"}\n")),
                 File("pytorch_model.bin", MakeBlob(GenerateBytes("gpt-mini pytorch", 1 * kMiB))),
             }));
  return repo;
}

Repo GatedModel() {
  Repo repo(RepoType::kModel, "acme/gated-model",
            RepoCard{"acme",
                     "2024-04-01T00:00:00.000Z",
                     {"transformers"},
                     "text-generation",
                     "transformers",
                     7,
                     1},
            /*gated=*/true);
  repo.AddCommit(
      "main",
      Commit(CommitId("acme/gated-model main"), "Gated upload", "2024-04-01T00:00:00.000Z",
             {
                 File("config.json", MakeBlob("{\"model_type\": \"gated\"}\n")),
                 File("model.safetensors", MakeBlob(GenerateBytes("gated weights", 256 * kKiB))),
             }));
  return repo;
}

Repo TinyDataset() {
  Repo repo(
      RepoType::kDataset, "acme/tiny-dataset",
      RepoCard{
          "acme", "2024-01-03T00:00:00.000Z", {"size_categories:n<1K"}, "", "datasets", 321, 4},
      /*gated=*/false);
  repo.AddCommit("main",
                 Commit(CommitId("acme/tiny-dataset main"), "Add data", "2024-01-04T00:00:00.000Z",
                        {
                            File("README.md", MakeBlob("# tiny-dataset\n\nA fake dataset.\n")),
                            File("data/train.jsonl", MakeBlob(JsonLines("train", 90))),
                            File("data/train-00000-of-00001.parquet",
                                 MakeBlob(GenerateBytes("tiny-dataset parquet", 2 * kMiB))),
                            File("data/test.jsonl", MakeBlob(JsonLines("test", 5))),
                        }));
  // What the Hub's parquet converter leaves on a dataset.
  repo.AddCommit("refs/convert/parquet",
                 Commit(CommitId("acme/tiny-dataset parquet"), "Update parquet files",
                        "2024-01-05T00:00:00.000Z",
                        {File("default/train/0000.parquet",
                              MakeBlob(GenerateBytes("tiny-dataset converted", 64 * kKiB)))},
                        "", "parquet-converter"));
  return repo;
}

Repo BigModel() {
  Repo repo(RepoType::kModel, "acme/big-model",
            RepoCard{"acme",
                     "2024-05-01T00:00:00.000Z",
                     {"safetensors"},
                     "text-generation",
                     "transformers",
                     5,
                     0},
            /*gated=*/false);
  repo.AddCommit(
      "main",
      Commit(CommitId("acme/big-model main"), "Big weights", "2024-05-01T00:00:00.000Z",
             {
                 File("model.safetensors", MakeBlob(GenerateBytes("big-model weights", 64 * kMiB))),
             }));
  return repo;
}

// A safetensors-shaped file: an 8-byte header length, a JSON header naming
// eight 1 MiB tensors, then the tensors. `changed` tensors (by index) hold
// other bytes, and `metadata` lengthens the header: what a fine-tune of a
// base model looks like to Xet dedup.
std::string EightTensorFile(const std::vector<int>& changed, const std::string& metadata) {
  constexpr size_t kTensors = 8;
  constexpr size_t kTensorBytes = 1 * kMiB;
  std::string header = "{";
  if (!metadata.empty()) header += "\"__metadata__\":{\"note\":\"" + metadata + "\"},";
  for (size_t i = 0; i < kTensors; ++i) {
    header += "\"layer." + std::to_string(i) + ".weight\":{\"dtype\":\"F32\",\"shape\":[512,512],"
              "\"data_offsets\":[" + std::to_string(i * kTensorBytes) + "," +
              std::to_string((i + 1) * kTensorBytes) + "]}" + (i + 1 < kTensors ? "," : "");
  }
  header += "}";
  std::string out(8, '\0');
  for (size_t b = 0; b < 8; ++b) out[b] = static_cast<char>((header.size() >> (8 * b)) & 0xff);
  out += header;
  for (size_t i = 0; i < kTensors; ++i) {
    const bool is_changed = std::find(changed.begin(), changed.end(), static_cast<int>(i)) !=
                            changed.end();
    out += GenerateBytes((is_changed ? "finetuned tensor " : "base tensor ") + std::to_string(i),
                         kTensorBytes);
  }
  return out;
}

// A base model and its fine-tune (2 of 8 tensors changed, a longer header):
// the fine-tune's upload deduplicates against the base's chunks, so on the
// fake hub's CAS its new bytes are about a quarter of the file.
Repo EightTensorModel(const std::string& id, const std::vector<int>& changed,
                      const std::string& metadata) {
  Repo repo(RepoType::kModel, id,
            RepoCard{"acme", "2024-08-01T00:00:00.000Z", {"safetensors"}, "", "transformers", 3, 0},
            /*gated=*/false);
  repo.AddCommit("main", Commit(CommitId(id + " main"), "Upload weights",
                                "2024-08-01T00:00:00.000Z",
                                {
                                    File("config.json", MakeBlob("{\"model_type\": \"eight\"}\n")),
                                    File("model.safetensors",
                                         MakeBlob(EightTensorFile(changed, metadata))),
                                }));
  return repo;
}

// A model transformers can load (AutoConfig, AutoTokenizer) without torch.
Repo TinyBert() {
  Repo repo(RepoType::kModel, "acme/tiny-bert",
            RepoCard{"acme",
                     "2024-06-01T00:00:00.000Z",
                     {"transformers", "bert", "fill-mask"},
                     "fill-mask",
                     "transformers",
                     77,
                     2},
            /*gated=*/false);
  repo.AddCommit(
      "main",
      Commit(CommitId("acme/tiny-bert main"), "Add tiny bert", "2024-06-01T00:00:00.000Z",
             {
                 File("config.json",
                      MakeBlob("{\"model_type\": \"bert\", \"vocab_size\": 6, \"hidden_size\": 8, "
                               "\"num_hidden_layers\": 1, \"num_attention_heads\": 2, "
                               "\"intermediate_size\": 16, \"max_position_embeddings\": 32}\n")),
                 File("tokenizer_config.json",
                      MakeBlob("{\"tokenizer_class\": \"PreTrainedTokenizerFast\", \"unk_token\": "
                               "\"[UNK]\", \"pad_token\": \"[PAD]\", \"model_max_length\": 32}\n")),
                 File("tokenizer.json",
                      MakeBlob("{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                               "\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":{"
                               "\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                               "\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"[UNK]\":0,"
                               "\"[PAD]\":1,\"hello\":2,\"world\":3,\"mirror\":4,\"tiny\":5},"
                               "\"unk_token\":\"[UNK]\"}}\n")),
             }));
  return repo;
}

Repo TinySpace() {
  RepoCard card{"acme", "2024-07-01T00:00:00.000Z", {"gradio"}, "", "", 0, 9};
  card.sdk = "gradio";
  Repo repo(RepoType::kSpace, "acme/tiny-space", std::move(card), /*gated=*/false);
  repo.AddCommit(
      "main",
      Commit(CommitId("acme/tiny-space main"), "Add app", "2024-07-02T00:00:00.000Z",
             {
                 File("README.md", MakeBlob("---\nsdk: gradio\n---\n# tiny-space\n")),
                 File("app.py", MakeBlob("import gradio as gr\n\ngr.Interface(lambda x: x, "
                                         "\"text\", \"text\").launch()\n")),
                 File("requirements.txt", MakeBlob("gradio\n")),
             }));
  return repo;
}

}  // namespace

Hub BuildFixtures() {
  SharedBlobs shared;
  Hub hub;
  hub.AddRepo(TinyModel(shared));
  hub.AddRepo(TinyModelFinetune(shared));
  hub.AddRepo(GptMini());
  hub.AddRepo(GatedModel());
  hub.AddRepo(TinyDataset());
  hub.AddRepo(BigModel());
  hub.AddRepo(TinyBert());
  hub.AddRepo(TinySpace());
  hub.AddRepo(EightTensorModel("acme/eight-base", {}, ""));
  hub.AddRepo(EightTensorModel("acme/eight-finetune", {2, 5},
                               "fine-tuned on the acme corpus for three epochs"));
  return hub;
}

}  // namespace fakehub
