//! SSE parsing throughput: a ~1 MB OpenAI-style and Anthropic-style stream, delivered in
//! 17-byte pieces (worst case: many events split across chunks) and in 16 KiB pieces.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use pincer::protocol::ProviderKind;
use pincer::provider::ReplyStream;
use pincer::provider::sse::SseDecoder;

fn main() {
    divan::main();
}

fn openai_stream(target: usize) -> Vec<u8> {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < target {
        out.push_str(&format!(
            "data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"word{i} héllo \"}},\"finish_reason\":null}}]}}\n\n"
        ));
        i += 1;
    }
    out.push_str("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    out.into_bytes()
}

fn anthropic_stream(target: usize) -> Vec<u8> {
    let mut out = String::from(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5}}}\n\n",
    );
    let mut i = 0;
    while out.len() < target {
        out.push_str(&format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"word{i} héllo \"}}}}\n\n"
        ));
        i += 1;
    }
    out.push_str("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    out.into_bytes()
}

fn chunks(bytes: &[u8], size: usize) -> Vec<Bytes> {
    bytes.chunks(size).map(Bytes::copy_from_slice).collect()
}

fn drain(kind: ProviderKind, pieces: Vec<Bytes>) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut stream = ReplyStream::from_chunks(kind, pieces);
        let mut n = 0;
        while let Some(item) = stream.next().await {
            item.unwrap();
            n += 1;
        }
        n
    })
}

#[divan::bench(args = [17, 16384])]
fn openai_full_parse(bencher: Bencher, chunk: usize) {
    let body = openai_stream(1 << 20);
    bencher
        .counter(BytesCount::new(body.len()))
        .with_inputs(|| chunks(&body, chunk))
        .bench_values(|pieces| black_box(drain(ProviderKind::Openai, pieces)));
}

#[divan::bench(args = [17, 16384])]
fn anthropic_full_parse(bencher: Bencher, chunk: usize) {
    let body = anthropic_stream(1 << 20);
    bencher
        .counter(BytesCount::new(body.len()))
        .with_inputs(|| chunks(&body, chunk))
        .bench_values(|pieces| black_box(drain(ProviderKind::Anthropic, pieces)));
}

/// The line/event decoder alone (no JSON).
#[divan::bench(args = [17, 16384])]
fn sse_decoder_only(bencher: Bencher, chunk: usize) {
    let body = openai_stream(1 << 20);
    bencher.counter(BytesCount::new(body.len())).bench(|| {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for piece in body.chunks(chunk) {
            d.push(piece, &mut out).unwrap();
        }
        d.finish(&mut out);
        black_box(out.len())
    });
}
