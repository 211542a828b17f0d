//! The body of every answer: one or more chunks sent in order, so that `/metrics` sends the
//! cached exposition and the live process metrics without copying them into one buffer
//! (16 concurrent scrapes of a large exposition would otherwise hold 16 copies).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};

/// Chunks sent one after the other.
#[derive(Debug, Default)]
pub struct Body(VecDeque<Bytes>);

impl Body {
    /// A body of these chunks, in order (empty chunks are left out).
    pub fn chunks(chunks: impl IntoIterator<Item = Bytes>) -> Body {
        Body(chunks.into_iter().filter(|c| !c.is_empty()).collect())
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        Body::chunks([b])
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Body::from(Bytes::from_static(s.as_bytes()))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::from(Bytes::from(s))
    }
}

impl HttpBody for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.iter().map(|b| b.len() as u64).sum())
    }
}

/// An HTTP answer with its body scrubbed (the status page, `/api/v1/targets`, reload
/// replies); a compressed body is left as it is.
pub(crate) async fn scrubbed(resp: hyper::Response<Body>) -> hyper::Response<Body> {
    use http_body_util::BodyExt;
    if resp.headers().contains_key(hyper::header::CONTENT_ENCODING) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(never) => match never {},
    };
    let text = String::from_utf8_lossy(&bytes);
    let body = match crate::scrub::scrub(&text) {
        std::borrow::Cow::Borrowed(_) => bytes,
        std::borrow::Cow::Owned(clean) => bytes::Bytes::from(clean),
    };
    hyper::Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn chunks_arrive_in_order_with_an_exact_length() {
        let b = Body::chunks([Bytes::from("ab"), Bytes::new(), Bytes::from("cd")]);
        assert_eq!(b.size_hint().exact(), Some(4));
        assert_eq!(b.collect().await.unwrap().to_bytes(), "abcd");
    }
}
