//! The blob store's contract, the same on both backends: the local directory and
//! S3-compatible object storage (a real S3 server on 127.0.0.1, see `common::s3`).
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use server::blobs::BlobStore;

use crate::common::s3::S3Server;

const HOUR: Duration = Duration::from_secs(3600);

/// Pseudo-random bytes (xorshift), so that no layer can compress or guess them.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

async fn contract(store: &BlobStore, staging: &Path) {
    let what = store.describe();
    store.reachable().await.unwrap();

    // Content addressing: the same bytes twice are one blob, with their MD5.
    let a = store.put(b"hello").await.unwrap();
    assert_eq!(store.put(b"hello").await.unwrap(), a, "{what}");
    assert_eq!(a.md5, "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(a.size, 5);
    assert_eq!(store.get(&a.sha256).await.unwrap(), b"hello", "{what}");
    assert!(store.contains(&a.sha256).await, "{what}");

    // Anything but an address is refused before it reaches a path or a key; a missing
    // blob is NotFound (and removing it is fine).
    let (long, slashed) = ("g".repeat(64), format!("{}/x", &a.sha256[..62]));
    for bad in ["../etc/passwd", "", long.as_str(), slashed.as_str()] {
        assert_eq!(
            store.get(bad).await.unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert!(!store.contains(bad).await);
    }
    let missing = "0".repeat(64);
    assert_eq!(
        store.get(&missing).await.unwrap_err().kind(),
        ErrorKind::NotFound,
        "{what}"
    );
    assert!(store.open_read(&missing).await.is_err());
    assert!(!store.contains(&missing).await);
    store.remove(&missing).await.unwrap();

    // Bytes written in pieces are the same blob as written at once.
    let mut w = store.writer().await.unwrap();
    w.write(b"hel").await.unwrap();
    w.write(b"lo").await.unwrap();
    assert_eq!(w.finish().await.unwrap(), a, "{what}");

    // A large upload streamed in 1 MiB pieces (on object storage: a multipart upload),
    // read back streamed: same size, same digest.
    let mut w = store.writer().await.unwrap();
    let mut digest = Sha256::new();
    for piece in 0..40u64 {
        let bytes = noise(piece + 1, 1 << 20);
        digest.update(&bytes);
        w.write(&bytes).await.unwrap();
    }
    let big = w.finish().await.unwrap();
    assert_eq!(big.sha256, hex::encode(digest.finalize()), "{what}");
    assert_eq!(big.size, 40 << 20);
    let mut read = store.open_read(&big.sha256).await.unwrap();
    assert_eq!(read.size, 40 << 20, "{what}");
    let mut digest = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = read.reader.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        digest.update(&buf[..n]);
    }
    assert_eq!(total, 40 << 20);
    assert_eq!(hex::encode(digest.finalize()), big.sha256, "{what}");

    // An upload dropped halfway or aborted leaves no staged file and no blob.
    let mut w = store.writer().await.unwrap();
    w.write(b"half an upload").await.unwrap();
    drop(w);
    let mut w = store.writer().await.unwrap();
    w.write(b"aborted").await.unwrap();
    w.abort().await;
    assert_eq!(
        std::fs::read_dir(staging.join("tmp")).unwrap().count(),
        0,
        "{what}"
    );

    // What the clean-up sees: everything is idle for a zero grace, nothing for an hour.
    let mut idle = store.idle_blobs(Duration::ZERO).await.unwrap();
    idle.sort();
    let mut expected = vec![a.sha256.clone(), big.sha256.clone()];
    expected.sort();
    assert_eq!(idle, expected, "{what}");
    assert!(store.idle_blobs(HOUR).await.unwrap().is_empty(), "{what}");

    // collect: a recent blob stays, a needed one stays, an idle unneeded one goes.
    assert!(!store
        .collect(&a.sha256, HOUR, || async { false })
        .await
        .unwrap());
    assert!(!store
        .collect(&a.sha256, Duration::ZERO, || async { true })
        .await
        .unwrap());
    assert!(store.contains(&a.sha256).await, "{what}");
    assert!(store
        .collect(&a.sha256, Duration::ZERO, || async { false })
        .await
        .unwrap());
    assert!(!store.contains(&a.sha256).await, "{what}");
    assert!(!store
        .collect(&a.sha256, Duration::ZERO, || async { false })
        .await
        .unwrap());
    // Stored again after the clean-up took it: there again.
    assert_eq!(store.put(b"hello").await.unwrap(), a);
    assert_eq!(store.get(&a.sha256).await.unwrap(), b"hello", "{what}");

    // remove_if_idle keeps a blob stored within the grace period.
    store.remove_if_idle(&a.sha256, HOUR).await.unwrap();
    assert!(store.contains(&a.sha256).await, "{what}");
    store
        .remove_if_idle(&a.sha256, Duration::ZERO)
        .await
        .unwrap();
    assert!(!store.contains(&a.sha256).await, "{what}");
    store.remove(&big.sha256).await.unwrap();
    assert_eq!(
        store.get(&big.sha256).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(
        store.idle_blobs(Duration::ZERO).await.unwrap().is_empty(),
        "{what}"
    );
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "cairn-{name}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ))
}

#[tokio::test]
async fn local_directory_keeps_the_contract() {
    let dir = temp_dir("blobs");
    let store = BlobStore::open_url(None, &dir).unwrap();
    contract(&store, &dir).await;
    // A file whose time is in the future (a clock stepped back) is still listed for a
    // copy, and counts as just written for the clean-up.
    let b = store.put(b"from the future").await.unwrap();
    let path = dir.join(&b.sha256[..2]).join(&b.sha256);
    std::fs::File::options()
        .append(true)
        .open(&path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() + HOUR)
        .unwrap();
    assert_eq!(
        store.idle_blobs(Duration::ZERO).await.unwrap(),
        std::slice::from_ref(&b.sha256)
    );
    assert!(store.idle_blobs(HOUR).await.unwrap().is_empty());
    assert!(!store
        .collect(&b.sha256, Duration::from_secs(1), || async { false })
        .await
        .unwrap());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn object_storage_keeps_the_contract() {
    let s3 = S3Server::start().await;
    let staging = temp_dir("staging");
    let url = s3.bucket("contract", "cairn/files").await;
    let store = BlobStore::open_url(Some(&url), &staging)
        .unwrap()
        .with_collect_settle(Duration::from_millis(100));
    assert_eq!(
        store.describe(),
        "s3://contract/cairn/files",
        "no secrets in messages"
    );
    // A neighbour under another prefix of the same bucket is not this store's.
    let other = s3.url("contract", "other");
    let other = BlobStore::open_url(Some(&other), temp_dir("other")).unwrap();
    let theirs = other.put(b"not yours").await.unwrap();
    contract(&store, &staging).await;
    assert!(other.contains(&theirs.sha256).await);
    std::fs::remove_dir_all(staging).unwrap();
}

/// The clean-up on object storage cannot move a blob aside atomically, so it sets it
/// aside in `trash/`, waits, and asks again: a blob an upload stored again meanwhile
/// (its row committed while the clean-up waited) is put back, an unneeded one goes, and
/// a clean-up cut off while waiting has its trash settled by the next.
#[tokio::test]
async fn object_storage_clean_up_puts_back_a_blob_stored_again_meanwhile() {
    let s3 = S3Server::start().await;
    let staging = temp_dir("settle");
    let url = s3.bucket("settle", "cairn").await;
    let store = BlobStore::open_url(Some(&url), &staging)
        .unwrap()
        .with_collect_settle(Duration::from_millis(300));
    let kept = store
        .put(b"named by a row committed meanwhile")
        .await
        .unwrap();
    let gone = store.put(b"named by nothing").await.unwrap();
    let asked: std::sync::Mutex<Vec<String>> = Default::default();
    let needed = |sha: String| {
        let mut asked = asked.lock().unwrap();
        asked.push(sha.clone());
        // The first look finds nothing naming `kept`; the upload's row commits before
        // the second.
        let now_named = sha == kept.sha256 && asked.iter().filter(|s| **s == sha).count() > 1;
        async move { now_named }
    };
    let shas = [kept.sha256.clone(), gone.sha256.clone()];
    assert_eq!(
        store
            .collect_many(&shas, Duration::ZERO, needed)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.get(&kept.sha256).await.unwrap(),
        b"named by a row committed meanwhile"
    );
    assert!(!store.contains(&gone.sha256).await);
    assert_eq!(
        store.idle_blobs(Duration::ZERO).await.unwrap(),
        vec![kept.sha256.clone()],
        "nothing else is left, in trash/ or elsewhere"
    );

    // Cut off while waiting: the blob is in trash/ only. The next clean-up (with
    // nothing new to look at) puts it back, as something names it now.
    let slow = store.clone().with_collect_settle(Duration::from_secs(60));
    let cut = tokio::time::timeout(
        Duration::from_millis(500),
        slow.collect_many(
            std::slice::from_ref(&kept.sha256),
            Duration::ZERO,
            |_| async { false },
        ),
    )
    .await;
    assert!(cut.is_err(), "the clean-up should still have been waiting");
    assert!(!store.contains(&kept.sha256).await);
    assert_eq!(
        store
            .collect_many(&[], Duration::ZERO, |_| async { true })
            .await
            .unwrap(),
        0
    );
    assert!(store.contains(&kept.sha256).await);
    // And trash nobody names is emptied.
    let cut = tokio::time::timeout(
        Duration::from_millis(500),
        slow.collect_many(
            std::slice::from_ref(&kept.sha256),
            Duration::ZERO,
            |_| async { false },
        ),
    )
    .await;
    assert!(cut.is_err());
    assert_eq!(
        store
            .collect_many(&[], Duration::ZERO, |_| async { false })
            .await
            .unwrap(),
        1
    );
    assert!(store.idle_blobs(Duration::ZERO).await.unwrap().is_empty());
    std::fs::remove_dir_all(staging).unwrap();
}

/// `--blob-presign`: a download URL the store itself answers, for exactly the blob's
/// bytes, made only when asked for; a local store refuses the setting.
#[tokio::test]
async fn presigned_downloads_come_straight_from_the_store() {
    let s3 = S3Server::start().await;
    let staging = temp_dir("presign");
    let url = s3.bucket("presigned", "cairn").await;
    let plain = BlobStore::open_url(Some(&url), &staging).unwrap();
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let stored = plain.put(&bytes).await.unwrap();
    assert_eq!(plain.direct_download_url(&stored.sha256).await, None);
    let store = plain.with_presigned_downloads().unwrap();
    let direct = store.direct_download_url(&stored.sha256).await.unwrap();
    assert!(direct.contains("X-Amz-Signature="), "{direct}");
    let got = reqwest::get(&direct).await.unwrap();
    assert!(got.status().is_success(), "{}", got.status());
    assert_eq!(got.bytes().await.unwrap().as_ref(), &bytes[..]);
    // The signature covers the key: another blob's name with it is refused.
    let forged = direct.replace(&stored.sha256, &"0".repeat(64));
    let refused = reqwest::get(&forged).await.unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
    assert_eq!(store.direct_download_url("../etc/passwd").await, None);
    let local = BlobStore::open(temp_dir("presign-local")).unwrap();
    let err = local.with_presigned_downloads().unwrap_err();
    assert!(err.contains("needs object storage"), "{err}");
    std::fs::remove_dir_all(staging).unwrap();
}

#[tokio::test]
async fn blob_urls_are_checked() {
    let dir = temp_dir("urls");
    for (url, says) in [
        ("gs://bucket", "expected s3://bucket"),
        ("s3://", "names no bucket"),
        ("s3:///prefix", "names no bucket"),
        ("s3://b/p?colour=blue", "unknown option"),
    ] {
        let err = BlobStore::open_url(Some(url), &dir).unwrap_err();
        assert!(err.contains(says), "{url}: {err}");
    }
    // A bucket nobody answers for: the store opens, and says it is unreachable.
    let port = crate::common::s3::free_port();
    let url = format!(
        "s3://nowhere?endpoint=http://127.0.0.1:{port}&allow_http=true&region=us-east-1\
         &access_key_id=x&secret_access_key=y"
    );
    let store = BlobStore::open_url(Some(&url), &dir).unwrap();
    assert!(store.reachable().await.is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

/// `cairn blobs copy --to s3://…` moves a local store to object storage: every blob read
/// back by digest, a second run skips what is there, a blob whose bytes do not match
/// its name stops the copy.
#[tokio::test]
async fn a_local_store_is_copied_to_object_storage_and_the_copy_resumes() {
    let s3 = S3Server::start().await;
    let data = temp_dir("copy");
    let local = BlobStore::open(data.join("files")).unwrap();
    let mut stored = Vec::new();
    for (i, len) in [10usize, 1 << 20, 12 << 20].into_iter().enumerate() {
        stored.push(local.put(&noise(i as u64 + 7, len)).await.unwrap());
    }
    let url = s3.bucket("moved", "cairn").await;
    let cairn = env!("CARGO_BIN_EXE_cairn");
    let copy = |to: &str| {
        std::process::Command::new(cairn)
            .args([
                "--data-dir",
                data.to_str().unwrap(),
                "blobs",
                "copy",
                "--to",
                to,
            ])
            .env("RUST_LOG", "warn")
            // The source is the data dir's store, whatever the caller's environment says.
            .env_remove("CAIRN_BLOB_URL")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = copy(&url);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("3 files, 3 copied and checked against their digests, 0 already there"),
        "{said}"
    );
    let remote = BlobStore::open_url(Some(&url), temp_dir("copy-staging")).unwrap();
    for blob in &stored {
        let read = remote.open_read(&blob.sha256).await.unwrap();
        assert_eq!(read.size, blob.size);
        let bytes = remote.get(&blob.sha256).await.unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), blob.sha256);
    }

    // One more file, then the copy again: only the new one is sent.
    let late = local.put(b"logged after the first copy").await.unwrap();
    let report = local.copy_to(&remote, |_| {}).await.unwrap();
    assert_eq!((report.total, report.copied, report.skipped), (4, 1, 3));
    assert_eq!(report.bytes, late.size);
    assert!(remote.contains(&late.sha256).await);

    // A blob whose bytes were changed on disk is refused, not copied under its name.
    let bad = local.put(b"soon to be damaged").await.unwrap();
    let path = data.join("files").join(&bad.sha256[..2]).join(&bad.sha256);
    std::fs::write(&path, b"damaged bytes").unwrap();
    let out = copy(&url);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("blob {} holds bytes whose digest is", bad.sha256)),
        "{err}"
    );
    assert!(!remote.contains(&bad.sha256).await);
    std::fs::remove_dir_all(data).unwrap();
}
