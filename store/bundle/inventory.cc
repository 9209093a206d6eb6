#include "store/bundle/inventory.h"

#include <charconv>
#include <string_view>
#include <vector>

#include "store/hash.h"

namespace hubmirror {
namespace {

// Inventories are text listings; anything larger is not one.
constexpr uint64_t kMaxInventoryBytes = uint64_t{1} << 30;

Status BadLine(const std::string& path, size_t line_number, const std::string& problem) {
  return Status::InvalidArgument("inventory " + path + " line " + std::to_string(line_number) +
                                 ": " + problem);
}

std::string InventoryText(const std::string& store_path, uint64_t count, uint64_t bytes,
                          uint64_t xorbs, const std::string& lines) {
  return std::string(kInventoryHeader) + "\n# store " + store_path + "\n# objects " +
         std::to_string(count) + " bytes " + std::to_string(bytes) + " xorbs " +
         std::to_string(xorbs) + "\n" + lines;
}

}  // namespace

std::string EmptyInventory(const std::string& store_path) {
  return InventoryText(store_path, 0, 0, 0, "");
}

Result<std::string> BuildInventory(Index* index, ChunkedObjectStore* store,
                                   const std::string& store_path) {
  HM_ASSIGN_OR_RETURN(std::vector<ObjectRecord> rows, index->ListObjects());
  std::string lines;
  uint64_t count = 0;
  uint64_t bytes = 0;
  for (const ObjectRecord& row : rows) {
    if (!store->Contains(row.sha256)) continue;
    lines += row.sha256 + " " + std::to_string(row.size) + "\n";
    ++count;
    bytes += row.size;
  }
  HM_ASSIGN_OR_RETURN(std::vector<XetHash> xorbs, store->ListXorbs());
  for (const XetHash& x : xorbs) lines += "xorb " + x.ToHex() + "\n";
  return InventoryText(store_path, count, bytes, xorbs.size(), lines);
}

Result<InventoryListing> ReadInventory(Env* env, const std::string& path) {
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  HM_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size > kMaxInventoryBytes) {
    return Status::InvalidArgument("inventory " + path + " is " + std::to_string(size) +
                                   " bytes; that is not an inventory");
  }
  std::string text(static_cast<size_t>(size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    HM_ASSIGN_OR_RETURN(size_t got, file->ReadAt(done, text.data() + done, text.size() - done));
    if (got == 0) break;
    done += got;
  }
  text.resize(done);

  InventoryListing listing;
  bool version1 = false;
  std::string_view rest = text;
  size_t line_number = 0;
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    ++line_number;
    if (line_number == 1) {
      version1 = line == kInventoryHeaderV1;
      if (line != kInventoryHeader && !version1) {
        return BadLine(path, 1, "expected \"" + std::string(kInventoryHeader) +
                                    "\" (make it with `hubmirror inventory --store DIR`)");
      }
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    if (!version1 && line.starts_with("xorb ")) {
      std::string_view hash = line.substr(5);
      if (!IsLowerHex(hash, 64)) return BadLine(path, line_number, "expected \"xorb <hash>\"");
      listing.xorbs.insert(std::string(hash));
      continue;
    }
    size_t space = line.find(' ');
    std::string_view sha256 = line.substr(0, space);
    if (space == std::string_view::npos || !IsLowerHex(sha256, 64)) {
      return BadLine(path, line_number, "expected \"<sha256> <size>\"");
    }
    std::string_view size_text = line.substr(space + 1);
    uint64_t object_size = 0;
    auto [ptr, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), object_size);
    if (ec != std::errc() || ptr != size_text.data() + size_text.size() || size_text.empty()) {
      return BadLine(path, line_number, "size is not a number");
    }
    listing.objects.insert(std::string(sha256));
  }
  if (line_number == 0) return BadLine(path, 1, "the file is empty");
  return listing;
}

}  // namespace hubmirror
