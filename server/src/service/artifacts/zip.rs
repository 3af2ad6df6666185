//! A folder of a version as one zip, written while it is sent: each file is read
//! from the blob store in slices and stored (not compressed: most artifact bytes are
//! already compressed, and storing keeps the stream at disk speed). Memory stays
//! constant whatever the size: the writer task and the response share a small
//! pipe, so the task waits whenever the client reads slower than the disk.

use bytes::Bytes;
use futures_lite::io::AsyncWriteExt as _;
use futures_lite::Stream;
use tokio::io::AsyncReadExt as _;

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};

use crate::blobs::BlobStore;

/// The pipe between the zip writer and the response.
const PIPE_BYTES: usize = 1 << 20;
/// How much of a file is read at a time.
const SLICE_BYTES: usize = 256 * 1024;

/// The zip of `entries` (`(path in the zip, blob address)`) as a byte stream. A
/// failure mid-way (a blob gone missing) is logged and ends the stream early, so the
/// client sees a truncated download rather than a zip that claims to be whole.
pub fn stream(
    blobs: BlobStore,
    entries: Vec<(String, String)>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let (writer, reader) = tokio::io::duplex(PIPE_BYTES);
    tokio::spawn(async move {
        if let Err(e) = write_zip(&blobs, entries, writer).await {
            tracing::warn!(error = %e, "a zip download stopped before its end");
        }
    });
    tokio_util::io::ReaderStream::with_capacity(reader, SLICE_BYTES)
}

async fn write_zip(
    blobs: &BlobStore,
    entries: Vec<(String, String)>,
    out: tokio::io::DuplexStream,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut zip = ZipFileWriter::with_tokio(out);
    let mut buf = vec![0u8; SLICE_BYTES];
    for (name, sha) in entries {
        let mut file = blobs.reader(&sha).await?;
        let entry = ZipEntryBuilder::new(name.into(), Compression::Stored);
        let mut w = zip.write_entry_stream(entry).await?;
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            w.write_all(&buf[..n]).await?;
        }
        w.close().await?;
    }
    zip.close().await?;
    Ok(())
}
