//! `cairn bench blobs`: upload and download throughput of one large file (1 GB by
//! default) through the blob store, on the local directory and, with `--blob-url
//! s3://…`, on S3-compatible object storage. The upload goes the way a wandb client's
//! upload does once it reaches the server (written piece by piece into a
//! [`crate::blobs::BlobWriter`], hashed, then stored: a rename on disk, a multipart
//! upload to S3); the download streams the blob out as a download response does.
//! Each side is checked: the digest the store computed is the digest of the bytes
//! sent, and the bytes read back hash to it, with the right count.

use std::time::Instant;

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::bench::Row;
use crate::blobs::BlobStore;

type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Bytes per write, as a request body arrives in pieces.
const PIECE: usize = 1 << 20;

/// The file's bytes: a cheap, deterministic, incompressible-enough pattern, piece `i`.
fn piece(i: u64, buf: &mut [u8]) {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for chunk in buf.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bytes = x.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

fn mb_per_s(bytes: u64, secs: f64) -> String {
    format!("{:.0} MB/s", bytes as f64 / 1e6 / secs.max(1e-9))
}

/// Upload `size` bytes into `store`, read them back, and describe both.
pub async fn run(store: &BlobStore, size: u64) -> Fallible<Vec<Row>> {
    let pieces = size.div_ceil(PIECE as u64);
    let mut buf = vec![0u8; PIECE];
    let mut sent = Sha256::new();

    let started = Instant::now();
    let mut writer = store.writer().await?;
    let mut written = 0u64;
    for i in 0..pieces {
        let n = (size - written).min(PIECE as u64) as usize;
        piece(i, &mut buf[..n]);
        sent.update(&buf[..n]);
        writer.write(&buf[..n]).await?;
        written += n as u64;
    }
    let stored = writer.finish().await?;
    let upload = started.elapsed().as_secs_f64();
    let sent = hex::encode(sent.finalize());
    if stored.sha256 != sent || stored.size != size {
        return Err(format!(
            "the store computed {} ({} bytes) for {sent} ({size} bytes)",
            stored.sha256, stored.size
        )
        .into());
    }

    let started = Instant::now();
    let mut read = store.open_read(&stored.sha256).await?;
    let mut got = Sha256::new();
    let mut count = 0u64;
    loop {
        let n = read.reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        got.update(&buf[..n]);
        count += n as u64;
    }
    let download = started.elapsed().as_secs_f64();
    let got = hex::encode(got.finalize());
    if got != sent || count != size || read.size != size {
        return Err(format!(
            "read back {count} bytes hashing to {got}, not {size} bytes of {sent}"
        )
        .into());
    }
    store.remove(&stored.sha256).await?;

    let mb = size as f64 / 1e6;
    Ok(vec![
        Row {
            workload: format!("upload {mb:.0} MB (write, hash, store)"),
            result: format!("{upload:.1} s, {}", mb_per_s(size, upload)),
        },
        Row {
            workload: format!("download {mb:.0} MB (stream out, hash checked)"),
            result: format!("{download:.1} s, {}", mb_per_s(size, download)),
        },
    ])
}
