//! Blobs in S3-compatible object storage (AWS S3, MinIO, Ceph, R2, GCS's S3 API), through
//! the `object_store` crate: its S3 client signs requests, retries, and splits large
//! uploads into multipart uploads, which Cairn should not write again.
//!
//! The layout is the local store's: `{prefix}/{first two hex digits}/{sha256}`. An
//! object's `last_modified` plays the part of a local file's modification time: storing
//! the same bytes again writes the object again, which makes it recent, so the clean-up
//! leaves it to the upload that is about to use it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::buffered::BufWriter;
use object_store::path::Path as Key;
use object_store::signer::Signer;
use object_store::{ObjectMeta, ObjectStore, PutPayload};
use tokio::io::AsyncWriteExt;

use super::check_address;

/// Parts of a multipart upload, and how many are in flight at once: what one large
/// upload holds in memory is at most their product (16 MiB).
const PART_BYTES: usize = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT: usize = 2;
/// S3's limit on the parts of one upload, less a margin.
const MAX_PARTS: u64 = 9_000;

/// The part size for a file of `size` bytes: 8 MiB, or more (in whole MiB) when 8 MiB
/// parts would be too many.
fn part_bytes(size: u64) -> usize {
    const MIB: u64 = 1024 * 1024;
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    usize::try_from(needed.max(PART_BYTES as u64)).unwrap_or(usize::MAX)
}
/// How long `/healthz` waits for the bucket.
const REACHABLE_WITHIN: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub(super) struct ObjectBlobs {
    store: Arc<dyn ObjectStore>,
    /// The same client, for presigned URLs.
    signer: Arc<AmazonS3>,
    /// The key prefix, without slashes at either end ("" for the bucket's root).
    prefix: String,
    /// `s3://bucket/prefix`, for messages.
    url: String,
}

impl std::fmt::Debug for ObjectBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

fn io(e: object_store::Error) -> std::io::Error {
    std::io::Error::from(e)
}

impl ObjectBlobs {
    /// The store that `url` (`s3://bucket[/prefix][?key=value&…]`) names, with
    /// credentials, region and endpoint from the usual `AWS_*` variables (`AWS_ENDPOINT`
    /// for MinIO and the like, `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint). The query
    /// may set the same options by their names without `aws_` (`endpoint`, `region`,
    /// `allow_http`, `access_key_id`, …); they win over the environment.
    pub(super) fn from_url(url: &str) -> Result<Self, String> {
        let (url, query) = url.split_once('?').unwrap_or((url, ""));
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("blob store URL {url:?}: expected s3://bucket[/prefix]"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("blob store URL {url:?} names no bucket"));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, "true"));
            let name = format!("aws_{}", key.trim_start_matches("aws_"));
            let key: AmazonS3ConfigKey = name
                .parse()
                .map_err(|_| format!("blob store URL {url:?}: unknown option {key:?}"))?;
            let value = app::logic::url::decode_segment(value)
                .ok_or_else(|| format!("blob store URL {url:?}: {key:?} is not URL-encoded"))?;
            builder = builder.with_config(key, value);
        }
        let store = builder
            .build()
            .map_err(|e| format!("blob store {url}: {e}"))?;
        let prefix = prefix.trim_matches('/').to_owned();
        let signer = Arc::new(store);
        Ok(Self {
            store: signer.clone(),
            signer,
            url: format!("s3://{bucket}/{prefix}"),
            prefix,
        })
    }

    pub(super) fn url(&self) -> &str {
        &self.url
    }

    fn key(&self, sha256: &str) -> Key {
        let shard = &sha256[..2];
        if self.prefix.is_empty() {
            Key::from(format!("{shard}/{sha256}"))
        } else {
            Key::from(format!("{}/{shard}/{sha256}", self.prefix))
        }
    }

    /// The blob's address if `key` is one of this store's blobs.
    fn address_of(&self, key: &Key) -> Option<String> {
        let mut parts: Vec<_> = key.parts().collect();
        let sha = parts.pop()?.as_ref().to_owned();
        let shard = parts.pop()?.as_ref().to_owned();
        let prefix = parts
            .iter()
            .map(|p| p.as_ref())
            .collect::<Vec<_>>()
            .join("/");
        let valid = prefix == self.prefix
            && sha.len() == 64
            && sha.bytes().all(|b| b.is_ascii_hexdigit())
            && sha.starts_with(&shard)
            && shard.len() == 2;
        valid.then_some(sha)
    }

    pub(super) async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.store
            .put(&self.key(sha256), PutPayload::from(bytes.to_vec()))
            .await
            .map(|_| ())
            .map_err(io)
    }

    /// Upload a staged file as blob `sha256`, in parts when it is large: memory stays
    /// constant whatever the file's size (two parts in flight; parts grow past 8 MiB
    /// only for files over about 70 GB, as S3 takes at most 10,000 parts). A failed
    /// upload is aborted, so no parts are left behind in the bucket. The upload runs
    /// in a task of its own: a request cancelled half-way (the client went away) does
    /// not cut it off between parts, which would leave the parts unfinished.
    pub(super) async fn upload_file(
        &self,
        sha256: &str,
        file: &std::path::Path,
    ) -> std::io::Result<()> {
        // Opened here: the task keeps reading it even if the staged file's name is
        // removed when the caller gives up.
        let mut source = tokio::fs::File::open(file).await?;
        let size = source.metadata().await?.len();
        let mut target =
            BufWriter::with_capacity(Arc::clone(&self.store), self.key(sha256), part_bytes(size))
                .with_max_concurrency(PARTS_IN_FLIGHT);
        tokio::spawn(async move {
            let copied = async {
                tokio::io::copy(&mut source, &mut target).await?;
                target.shutdown().await
            }
            .await;
            if copied.is_err() {
                target.abort().await.ok();
            }
            copied
        })
        .await
        .map_err(std::io::Error::other)?
    }

    pub(super) async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let found = self.store.get(&self.key(sha256)).await.map_err(io)?;
        Ok(found.bytes().await.map_err(io)?.to_vec())
    }

    pub(super) async fn open_read(&self, sha256: &str) -> std::io::Result<super::BlobRead> {
        let found = self.store.get(&self.key(sha256)).await.map_err(io)?;
        let size = found.meta.size;
        let stream = found.into_stream().map_err(io);
        Ok(super::BlobRead {
            size,
            reader: Box::new(tokio_util::io::StreamReader::new(stream)),
        })
    }

    /// The blob's metadata, `None` when it is not stored.
    async fn head(&self, sha256: &str) -> std::io::Result<Option<ObjectMeta>> {
        match self.store.head(&self.key(sha256)).await {
            Ok(meta) => Ok(Some(meta)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    pub(super) async fn size_of(&self, sha256: &str) -> std::io::Result<Option<u64>> {
        Ok(self.head(sha256).await?.map(|meta| meta.size))
    }

    pub(super) async fn contains(&self, sha256: &str) -> bool {
        matches!(self.head(sha256).await, Ok(Some(_)))
    }

    /// Delete a blob; a missing one is fine.
    pub(super) async fn remove(&self, sha256: &str) -> std::io::Result<()> {
        match self.store.delete(&self.key(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(io(e)),
        }
    }

    /// Whether the blob was stored (or stored again) within `idle`; a missing blob is
    /// not recent.
    async fn recent(&self, sha256: &str, idle: Duration) -> std::io::Result<Option<bool>> {
        Ok(self.head(sha256).await?.map(|meta| age(&meta) < idle))
    }

    pub(super) async fn remove_if_idle(&self, sha256: &str, idle: Duration) -> std::io::Result<()> {
        if self.recent(sha256, idle).await? == Some(true) {
            return Ok(());
        }
        self.remove(sha256).await
    }

    pub(super) async fn idle_blobs(&self, idle: Duration) -> std::io::Result<Vec<String>> {
        let prefix = (!self.prefix.is_empty()).then(|| Key::from(self.prefix.as_str()));
        let metas: Vec<ObjectMeta> = self
            .store
            .list(prefix.as_ref())
            .try_collect()
            .await
            .map_err(io)?;
        Ok(metas
            .iter()
            .filter(|meta| age(meta) >= idle)
            .filter_map(|meta| self.address_of(&meta.location))
            .collect())
    }

    /// Where a blob waits while the clean-up makes sure nobody stored it again.
    fn trash_key(&self, sha256: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(format!("trash/{sha256}"))
        } else {
            Key::from(format!("{}/trash/{sha256}", self.prefix))
        }
    }

    /// Remove the idle, unneeded blobs among `shas`; how many went.
    ///
    /// Object storage has no rename, so the local store's move-aside-then-check cannot
    /// be done in one step, and an upload of the same bytes could land between the
    /// clean-up's last look and its delete, then commit a row naming a blob that is
    /// gone. So each blob is copied to `trash/` and deleted, and only after `settle`
    /// (longer than an upload takes from its last part to its row) is `needed` asked
    /// again: a blob something now names is copied back (an upload that landed after
    /// the delete already put it back itself). Trash a crashed clean-up left behind is
    /// settled the same way at the start of the next one.
    pub(super) async fn collect_many<F, Fut>(
        &self,
        shas: &[String],
        idle: Duration,
        settle: Duration,
        needed: F,
    ) -> std::io::Result<usize>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let mut aside: Vec<String> = self.left_in_trash().await?;
        let leftovers = aside.len();
        for sha in shas {
            if aside.contains(sha) {
                continue;
            }
            match self.recent(sha, idle).await? {
                None | Some(true) => continue,
                Some(false) => {}
            }
            if needed(sha.clone()).await || self.recent(sha, idle).await? != Some(false) {
                continue;
            }
            match self.store.copy(&self.key(sha), &self.trash_key(sha)).await {
                Ok(()) => {}
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => {
                    // A store that cannot copy (objects over 5 GB on some) keeps the blob.
                    tracing::warn!(error = %e, "the clean-up could not set a blob aside; kept");
                    continue;
                }
            }
            self.remove(sha).await?;
            aside.push(sha.clone());
        }
        if aside.len() > leftovers {
            tokio::time::sleep(settle).await;
        }
        let mut removed = 0;
        for sha in aside {
            let trash = self.trash_key(&sha);
            if needed(sha.clone()).await {
                self.store.copy(&trash, &self.key(&sha)).await.map_err(io)?;
                tracing::info!(sha256 = %sha, "a blob stored again during its clean-up was put back");
            } else {
                removed += 1;
            }
            match self.store.delete(&trash).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(removed)
    }

    /// Blobs a clean-up that did not finish left in `trash/`.
    async fn left_in_trash(&self) -> std::io::Result<Vec<String>> {
        let dir = self.trash_key("");
        let metas: Vec<ObjectMeta> = self
            .store
            .list(Some(&dir))
            .try_collect()
            .await
            .map_err(io)?;
        Ok(metas
            .iter()
            .filter_map(|m| m.location.filename().map(str::to_owned))
            .filter(|sha| check_address(sha).is_ok())
            .collect())
    }

    /// A URL that lets whoever holds it read the blob straight from the store for
    /// `valid` (S3's query-string signature, made with the server's credentials). The
    /// object's existence is not checked: a missing one answers 404 there.
    pub(super) async fn presigned_get(
        &self,
        sha256: &str,
        valid: Duration,
    ) -> std::io::Result<String> {
        self.signer
            .signed_url(reqwest::Method::GET, &self.key(sha256), valid)
            .await
            .map(|u| u.to_string())
            .map_err(io)
    }

    /// Whether the bucket answers (for `/healthz`): listing one level must work within
    /// [`REACHABLE_WITHIN`] (the client's own retries would wait minutes).
    pub(super) async fn reachable(&self) -> std::io::Result<()> {
        let prefix = (!self.prefix.is_empty()).then(|| Key::from(self.prefix.as_str()));
        let listed = tokio::time::timeout(
            REACHABLE_WITHIN,
            self.store.list_with_delimiter(prefix.as_ref()),
        )
        .await
        .map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("{} did not answer within {REACHABLE_WITHIN:?}", self.url),
            )
        })?;
        listed.map(|_| ()).map_err(io)
    }
}

/// How long ago the object was written (zero when the store's clock is ahead of ours).
fn age(meta: &ObjectMeta) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let written = meta.last_modified.timestamp_millis();
    Duration::from_millis(u64::try_from(now.saturating_sub(written)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_stay_under_the_limit_and_at_least_8_mib() {
        assert_eq!(part_bytes(0), PART_BYTES);
        assert_eq!(part_bytes(1 << 30), PART_BYTES);
        for size in [70u64 << 30, 78 << 30, 1 << 40, 5 << 40] {
            let part = part_bytes(size) as u64;
            assert!(part >= PART_BYTES as u64);
            assert_eq!(part % (1 << 20), 0);
            assert!(size.div_ceil(part) <= MAX_PARTS, "{size}: {part}");
        }
    }
}
