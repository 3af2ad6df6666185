//! The file store: content-addressed blobs, in a local directory (the default) or in
//! S3-compatible object storage (`--blob-url s3://bucket/prefix`, [`object`]). A blob's
//! name is the SHA-256 of its bytes, so storing the same content twice keeps one copy and
//! a retried upload is harmless. Writes go to a temporary file and are renamed into place
//! (or uploaded from it under their final name), so a crash never leaves a half-written
//! blob under a real name.

mod object;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Clone, Debug)]
pub struct BlobStore {
    /// The local store's directory; with object storage, where uploads are staged
    /// (`tmp/`) while they are hashed.
    root: PathBuf,
    /// Object storage, when the blobs live there.
    remote: Option<object::ObjectBlobs>,
    /// The last answer of [`BlobStore::reachable_lately`] and when it was found.
    health: std::sync::Arc<std::sync::Mutex<Option<HealthAnswer>>>,
    /// With object storage: whether downloads are handed to the store as presigned
    /// URLs (`--blob-presign`) instead of passing through the server.
    presign: bool,
    /// See [`BlobStore::with_collect_settle`].
    collect_settle: std::time::Duration,
}

/// How long a presigned download URL works. It is made when the download is asked
/// for, so it only has to outlive the redirect; S3 checks it when the transfer
/// starts, so a long download is not cut off.
pub const PRESIGNED_FOR: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// When the store was last checked, and what the check said.
type HealthAnswer = (std::time::Instant, Result<(), String>);

/// A blob's address is 64 hex digits; anything else (`../etc/passwd`) is refused before
/// it reaches a path or a key.
fn check_address(sha256: &str) -> std::io::Result<()> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a blob address",
        ))
    }
}

/// A stored blob opened for reading: its size and its bytes as they arrive (from disk
/// or from object storage), so a download of any size holds only a slice in memory.
pub struct BlobRead {
    pub size: u64,
    pub reader: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
}

/// What storing a blob tells the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBlob {
    pub sha256: String,
    pub md5: String,
    pub size: u64,
}

impl BlobStore {
    /// A store under `root`, created if missing.
    pub fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        // Temporary files a crash left behind. Only old ones: another server sharing
        // this store may be writing the recent ones.
        let day = std::time::Duration::from_secs(24 * 3600);
        for entry in std::fs::read_dir(&tmp)?.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > day);
            if stale {
                std::fs::remove_file(entry.path()).ok();
            }
        }
        Ok(Self {
            root,
            remote: None,
            health: Default::default(),
            presign: false,
            collect_settle: std::time::Duration::from_secs(30),
        })
    }

    /// The store `url` names: `None` for the local directory `root`, `s3://bucket[/prefix]`
    /// for object storage (credentials and endpoint from the `AWS_*` variables; uploads are
    /// staged under `root/tmp`).
    pub fn open_url(url: Option<&str>, root: impl Into<PathBuf>) -> Result<Self, String> {
        let root = root.into();
        let mut store =
            Self::open(&root).map_err(|e| format!("file store {}: {e}", root.display()))?;
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => {}
            Some(url) => store.remote = Some(object::ObjectBlobs::from_url(url)?),
        }
        Ok(store)
    }

    /// Hand downloads to the object store as presigned URLs (clients must be able to
    /// reach the store's endpoint). Refused for a local directory.
    pub fn with_presigned_downloads(mut self) -> Result<Self, String> {
        if self.remote.is_none() {
            return Err("--blob-presign needs object storage (--blob-url s3://…)".into());
        }
        self.presign = true;
        Ok(self)
    }

    /// Where a client may download blob `sha256` straight from the store, when
    /// downloads are presigned; `None` means "stream it through the server" (also when
    /// signing fails, which is logged: the download still works, just not directly).
    pub async fn direct_download_url(&self, sha256: &str) -> Option<String> {
        let remote = self.remote.as_ref().filter(|_| self.presign)?;
        check_address(sha256).ok()?;
        match remote.presigned_get(sha256, PRESIGNED_FOR).await {
            Ok(url) => Some(url),
            Err(e) => {
                tracing::warn!(error = %e, "could not presign a download; streaming it instead");
                None
            }
        }
    }

    /// Where the blobs are, for people: a directory or an `s3://` URL.
    pub fn describe(&self) -> String {
        match &self.remote {
            Some(remote) => remote.url().to_owned(),
            None => self.root.display().to_string(),
        }
    }

    /// Whether the store can be used now (`/healthz`).
    pub async fn reachable(&self) -> std::io::Result<()> {
        match &self.remote {
            Some(remote) => remote.reachable().await,
            None => tokio::fs::metadata(&self.root).await.map(|_| ()),
        }
    }

    /// [`BlobStore::reachable`], asked at most once per `max_age`: `/healthz` may be
    /// called by anyone as often as they like, and on object storage each check is a
    /// listing request.
    pub async fn reachable_lately(&self, max_age: std::time::Duration) -> Result<(), String> {
        let cached = self
            .health
            .lock()
            .ok()
            .and_then(|h| h.clone())
            .filter(|(at, _)| at.elapsed() < max_age);
        if let Some((_, answer)) = cached {
            return answer;
        }
        let answer = self.reachable().await.map_err(|e| e.to_string());
        if let Ok(mut h) = self.health.lock() {
            *h = Some((std::time::Instant::now(), answer.clone()));
        }
        answer
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }

    /// Store `bytes`; returns their address and checksums.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<StoredBlob> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let md5 = hex::encode(md5::Md5::digest(bytes));
        if let Some(remote) = &self.remote {
            // Always written: writing the same bytes again is what marks them recent.
            remote.put(&sha256, bytes).await?;
            return Ok(StoredBlob {
                sha256,
                md5,
                size: bytes.len() as u64,
            });
        }
        let target = self.path_of(&sha256);
        if tokio::fs::try_exists(&target).await? {
            Self::touch(&target).await;
            // The clean-up may have taken it away between the check and the touch
            // ([`BlobStore::collect`]); then it is written again below.
            if tokio::fs::try_exists(&target).await? {
                return Ok(StoredBlob {
                    sha256,
                    md5,
                    size: bytes.len() as u64,
                });
            }
        }
        tokio::fs::create_dir_all(target.parent().unwrap_or(Path::new("."))).await?;
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{sha256}.{}", rand::random::<u64>()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &target).await?;
        Ok(StoredBlob {
            sha256,
            md5,
            size: bytes.len() as u64,
        })
    }

    /// A writer for a blob whose bytes arrive in pieces (a large upload), hashed as
    /// they are written to a temporary file and moved into place by `finish`.
    pub async fn writer(&self) -> std::io::Result<BlobWriter> {
        let tmp = self
            .root
            .join("tmp")
            .join(format!("upload.{}", rand::random::<u64>()));
        let file = tokio::fs::File::create(&tmp).await?;
        Ok(BlobWriter {
            store: self.clone(),
            tmp,
            file,
            sha256: Sha256::new(),
            md5: md5::Md5::new(),
            size: 0,
            done: false,
        })
    }

    /// The bytes of a stored blob.
    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        check_address(sha256)?;
        match &self.remote {
            Some(remote) => remote.get(sha256).await,
            None => tokio::fs::read(self.path_of(sha256)).await,
        }
    }

    /// A stored blob opened for reading in slices (downloads and zips stream from it).
    pub async fn open_read(&self, sha256: &str) -> std::io::Result<BlobRead> {
        check_address(sha256)?;
        match &self.remote {
            Some(remote) => remote.open_read(sha256).await,
            None => {
                let file = tokio::fs::File::open(self.path_of(sha256)).await?;
                Ok(BlobRead {
                    size: file.metadata().await?.len(),
                    reader: Box::new(file),
                })
            }
        }
    }

    /// [`BlobStore::open_read`] without the size.
    pub async fn reader(
        &self,
        sha256: &str,
    ) -> std::io::Result<Box<dyn tokio::io::AsyncRead + Send + Unpin>> {
        Ok(self.open_read(sha256).await?.reader)
    }

    /// Delete a stored blob unless it was stored (or stored again) within `idle`; a
    /// missing one is fine. The purge of deleted projects calls this.
    pub async fn remove_if_idle(
        &self,
        sha256: &str,
        idle: std::time::Duration,
    ) -> std::io::Result<()> {
        check_address(sha256)?;
        if let Some(remote) = &self.remote {
            return remote.remove_if_idle(sha256, idle).await;
        }
        let path = self.path_of(sha256);
        let recent = tokio::fs::metadata(&path)
            .await
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < idle);
        if recent {
            return Ok(());
        }
        self.remove(sha256).await
    }

    /// Mark a blob as just stored again (same bytes uploaded twice), so a purge running
    /// meanwhile leaves it for the upload that is about to use it.
    async fn touch(path: &Path) {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            std::fs::File::options()
                .append(true)
                .open(&path)
                .and_then(|f| f.set_modified(std::time::SystemTime::now()))
        })
        .await
        .ok();
    }

    /// Delete a stored blob; a missing one is fine.
    pub async fn remove(&self, sha256: &str) -> std::io::Result<()> {
        check_address(sha256)?;
        if let Some(remote) = &self.remote {
            return remote.remove(sha256).await;
        }
        match tokio::fs::remove_file(self.path_of(sha256)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The addresses of blobs not stored (or stored again) within `idle`: what the
    /// clean-up looks at.
    pub async fn idle_blobs(&self, idle: std::time::Duration) -> std::io::Result<Vec<String>> {
        if let Some(remote) = &self.remote {
            return remote.idle_blobs(idle).await;
        }
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for dir in std::fs::read_dir(&root)?.flatten() {
                let name = dir.file_name().to_string_lossy().into_owned();
                if name.len() != 2 || !dir.path().is_dir() {
                    continue;
                }
                for blob in std::fs::read_dir(dir.path())?.flatten() {
                    let sha = blob.file_name().to_string_lossy().into_owned();
                    // A time in the future (a clock stepped back, a file server's clock)
                    // or none at all counts as just written: listed when `idle` is zero
                    // (a copy must see every blob), spared by the clean-up otherwise.
                    let age = blob
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .map_or(std::time::Duration::ZERO, |t| {
                            t.elapsed().unwrap_or(std::time::Duration::ZERO)
                        });
                    if age >= idle && sha.len() == 64 && sha.starts_with(&name) {
                        out.push(sha);
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Remove blob `sha256` for the clean-up, unless it was stored (or stored again)
    /// within `idle` or `needed` says something uses it now; whether it was removed.
    /// See [`BlobStore::collect_many`].
    pub async fn collect<F, Fut>(
        &self,
        sha256: &str,
        idle: std::time::Duration,
        needed: F,
    ) -> std::io::Result<bool>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let removed = self
            .collect_many(&[sha256.to_owned()], idle, |_| needed())
            .await?;
        Ok(removed == 1)
    }

    /// Remove the blobs among `shas` not stored (or stored again) within `idle` that
    /// `needed` says nothing uses; how many went. `needed` may be asked twice for a
    /// blob: a store must never lose a blob that an upload of the same bytes stores
    /// while it is being removed.
    ///
    /// Locally each blob is first moved aside and only then checked, so an upload that
    /// stores the same bytes at the same moment either touched it before the move (it
    /// is seen as recent and put back) or finds it gone and writes it again
    /// ([`BlobStore::put`]). Object storage has no rename: see `object::collect_many`.
    pub async fn collect_many<F, Fut>(
        &self,
        shas: &[String],
        idle: std::time::Duration,
        needed: F,
    ) -> std::io::Result<usize>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for sha in shas {
            check_address(sha)?;
        }
        if let Some(remote) = &self.remote {
            return remote
                .collect_many(shas, idle, self.collect_settle, needed)
                .await;
        }
        let mut removed = 0;
        for sha256 in shas {
            let path = self.path_of(sha256);
            let aside = self
                .root
                .join("tmp")
                .join(format!("collect.{sha256}.{}", rand::random::<u64>()));
            match tokio::fs::rename(&path, &aside).await {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                other => other?,
            }
            let recent = tokio::fs::metadata(&aside)
                .await
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_none_or(|age| age < idle);
            if recent || needed(sha256.clone()).await {
                // Back in place (an upload may have written the same bytes there meanwhile).
                tokio::fs::rename(&aside, &path).await?;
                continue;
            }
            tokio::fs::remove_file(&aside).await?;
            removed += 1;
        }
        Ok(removed)
    }

    /// How long the clean-up on object storage waits before its second look (see
    /// `object::collect_many`); tests shorten it.
    pub fn with_collect_settle(mut self, settle: std::time::Duration) -> Self {
        self.collect_settle = settle;
        self
    }

    /// Whether a blob is stored.
    pub async fn contains(&self, sha256: &str) -> bool {
        if check_address(sha256).is_err() {
            return false;
        }
        match &self.remote {
            Some(remote) => remote.contains(sha256).await,
            None => tokio::fs::try_exists(self.path_of(sha256))
                .await
                .unwrap_or(false),
        }
    }
}

/// What [`BlobStore::copy_to`] did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CopyReport {
    /// Blobs in the source.
    pub total: u64,
    /// Copied now, each read back through its digest.
    pub copied: u64,
    /// Already in the target with the same size (a copy that was interrupted and resumed).
    pub skipped: u64,
    /// Bytes copied now.
    pub bytes: u64,
}

impl BlobStore {
    /// The size of a stored blob, `None` when it is not stored.
    pub async fn size_of(&self, sha256: &str) -> std::io::Result<Option<u64>> {
        check_address(sha256)?;
        if let Some(remote) = &self.remote {
            return remote.size_of(sha256).await;
        }
        match tokio::fs::metadata(self.path_of(sha256)).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Copy every blob of this store into `target` (a move to object storage, or back),
    /// calling `progress` after each. Each blob is streamed through the target's writer,
    /// which hashes what it stores: a blob whose bytes do not hash to its name stops the
    /// copy with an error. Blobs the target already holds with the same size are skipped,
    /// so an interrupted copy resumes where it stopped. The source is left as it was.
    pub async fn copy_to(
        &self,
        target: &BlobStore,
        mut progress: impl FnMut(&CopyReport),
    ) -> std::io::Result<CopyReport> {
        use tokio::io::AsyncReadExt;
        let mut all = self.idle_blobs(std::time::Duration::ZERO).await?;
        all.sort();
        let mut report = CopyReport {
            total: all.len() as u64,
            ..CopyReport::default()
        };
        let mut buf = vec![0u8; 1 << 20];
        for sha in all {
            // Sizes first: a blob already there is not opened (on object storage, not
            // downloaded) at all.
            let there = target.size_of(&sha).await?;
            if there.is_some() && there == self.size_of(&sha).await? {
                report.skipped += 1;
                progress(&report);
                continue;
            }
            let mut read = self.open_read(&sha).await?;
            let mut writer = target.writer().await?;
            loop {
                let n = read.reader.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                writer.write(&buf[..n]).await?;
            }
            let stored = writer.finish().await?;
            if stored.sha256 != sha {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "blob {sha} holds bytes whose digest is {}: its file is damaged; \
                         restore it from a backup (or delete it, losing that file) and copy again",
                        stored.sha256
                    ),
                ));
            }
            report.copied += 1;
            report.bytes += stored.size;
            progress(&report);
        }
        Ok(report)
    }
}

/// See [`BlobStore::writer`]. Dropped without a successful `finish` (an aborted or
/// cancelled upload), it removes its temporary file: never a blob under a real name,
/// never a leftover in `tmp/`.
pub struct BlobWriter {
    store: BlobStore,
    tmp: PathBuf,
    file: tokio::fs::File,
    sha256: Sha256,
    md5: md5::Md5,
    size: u64,
    /// Set once the temporary file was moved into place (or removed).
    done: bool,
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.done {
            std::fs::remove_file(&self.tmp).ok();
        }
    }
}

impl BlobWriter {
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.sha256.update(bytes);
        self.md5.update(bytes);
        self.size += bytes.len() as u64;
        self.file.write_all(bytes).await
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Store what was written (once, if the same content is already stored).
    pub async fn finish(mut self) -> std::io::Result<StoredBlob> {
        use tokio::io::AsyncWriteExt;
        self.file.flush().await?;
        let stored = StoredBlob {
            sha256: hex::encode(self.sha256.finalize_reset()),
            md5: hex::encode(self.md5.finalize_reset()),
            size: self.size,
        };
        if let Some(remote) = &self.store.remote {
            // Uploaded under its final name from the staged copy, which dropping removes.
            remote.upload_file(&stored.sha256, &self.tmp).await?;
            return Ok(stored);
        }
        self.file.sync_all().await?;
        let target = self.store.path_of(&stored.sha256);
        if tokio::fs::try_exists(&target).await? {
            // The same bytes are already stored: dropping removes this copy, unless the
            // clean-up took the stored one away meanwhile.
            BlobStore::touch(&target).await;
            if tokio::fs::try_exists(&target).await? {
                return Ok(stored);
            }
        }
        tokio::fs::create_dir_all(target.parent().unwrap_or(Path::new("."))).await?;
        tokio::fs::rename(&self.tmp, &target).await?;
        self.done = true;
        Ok(stored)
    }

    /// Throw the partial upload away.
    pub async fn abort(self) {
        drop(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_once_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("cairn-blobs-{}", rand::random::<u64>()));
        let store = BlobStore::open(&dir).unwrap();
        let a = store.put(b"hello").await.unwrap();
        let b = store.put(b"hello").await.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.md5, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(store.get(&a.sha256).await.unwrap(), b"hello");
        assert!(store.get("../etc/passwd").await.is_err());
        // The same bytes written in pieces are the same blob.
        let mut w = store.writer().await.unwrap();
        w.write(b"hel").await.unwrap();
        w.write(b"lo").await.unwrap();
        assert_eq!(w.size(), 5);
        assert_eq!(w.finish().await.unwrap(), a);
        let mut w = store.writer().await.unwrap();
        w.write(b"big upload").await.unwrap();
        let big = w.finish().await.unwrap();
        assert_eq!(store.get(&big.sha256).await.unwrap(), b"big upload");
        // An upload dropped halfway (a client that went away) leaves nothing behind.
        let mut w = store.writer().await.unwrap();
        w.write(b"half").await.unwrap();
        drop(w);
        let mut w = store.writer().await.unwrap();
        w.write(b"aborted").await.unwrap();
        w.abort().await;
        assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
