#include "cli/store_dir.h"

#include "cli/common_options.h"
#include "store/objstore/s3_storage.h"
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

sql::DbLocation SharedDbLocation(const ScaleOutOptions& scale_out) {
  sql::DbLocation where;
  where.postgres = scale_out.postgres;
  return where;
}

Result<StoreHandles> OpenStoreDir(Env* env, const std::string& dir, bool must_exist,
                                  const ScaleOutOptions& scale_out) {
  if (!scale_out.enabled() && !scale_out.use_s3) return OpenStoreDir(env, dir, must_exist);
  HM_RETURN_IF_ERROR(env->CreateDirs(dir));
  StoreHandles store;
  XorbStoreOptions options;
  options.cache_bytes = scale_out.cache_max_bytes;
  if (scale_out.use_s3) {
    HM_ASSIGN_OR_RETURN(std::unique_ptr<S3Storage> bucket,
                        S3Storage::Open(env, scale_out.s3));
    HM_RETURN_IF_ERROR(bucket->CheckBucket(scale_out.create_bucket));
    store.bucket = std::move(bucket);
    options.bucket = store.bucket.get();
  }
  if (scale_out.enabled()) {
    options.catalog = SharedDbLocation(scale_out);
    HM_ASSIGN_OR_RETURN(store.objects, NewXorbObjectStore(env, dir, options));
    HM_ASSIGN_OR_RETURN(store.index, Index::Open(SharedDbLocation(scale_out)));
  } else {
    if (must_exist && !env->FileExists(StoreIndexPath(dir))) {
      return Status::NotFound("store " + dir + " has no index (" + StoreIndexPath(dir) + ")");
    }
    HM_ASSIGN_OR_RETURN(store.objects, NewXorbObjectStore(env, dir, options));
    HM_ASSIGN_OR_RETURN(store.index, Index::Open(StoreIndexPath(dir)));
  }
  return store;
}

Result<StoreHandles> OpenStoreTarget(Env* env, const StoreTarget& target) {
  if (target.config.empty()) return OpenStoreDir(env, target.dir, /*must_exist=*/true);
  HM_ASSIGN_OR_RETURN(ServerOptions options, LoadCommonOptions(target.config, "", {}));
  return OpenStoreDir(env, options.store_dir, /*must_exist=*/true, options.scale_out);
}

sql::DbLocation RetentionDbLocation(const std::string& dir, const ScaleOutOptions& scale_out) {
  sql::DbLocation where = SharedDbLocation(scale_out);
  if (where.postgres.empty()) where.sqlite_path = dir + "/retention.sqlite";
  return where;
}

Result<sql::DbLocation> RetentionLocation(const StoreTarget& target) {
  if (target.config.empty()) return RetentionDbLocation(target.dir, ScaleOutOptions());
  HM_ASSIGN_OR_RETURN(ServerOptions options, LoadCommonOptions(target.config, "", {}));
  return RetentionDbLocation(options.store_dir, options.scale_out);
}

}  // namespace hubmirror
