#include "cli/store_dir.h"

#include "store/xorb/xorb_object_store.h"

namespace hubmirror {

std::string StoreIndexPath(const std::string& dir) { return dir + "/index.sqlite"; }

Result<StoreHandles> OpenStoreDir(Env* env, const std::string& dir, bool must_exist) {
  const std::string index_path = StoreIndexPath(dir);
  if (must_exist && !env->FileExists(index_path)) {
    return Status::NotFound("store " + dir + " has no index (" + index_path +
                            "); is --store the directory `hubmirror serve` uses?");
  }
  HM_RETURN_IF_ERROR(env->CreateDirs(dir));
  StoreHandles store;
  HM_ASSIGN_OR_RETURN(store.objects, NewXorbObjectStore(env, dir));
  HM_ASSIGN_OR_RETURN(store.index, Index::Open(index_path));
  return store;
}

}  // namespace hubmirror
