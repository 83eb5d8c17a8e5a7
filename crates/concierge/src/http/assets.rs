//! `widget.js` (the committed bundle of `widget/src`, see `widget/README.md`), shipped
//! inside the binary and compressed once at first use (gzip and brotli), with an ETag per
//! representation so browsers revalidate cheaply.

use std::io::Write;
use std::sync::LazyLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const WIDGET_JS: &[u8] = include_bytes!("../../assets/widget.js");

/// Browsers use a cached copy for five minutes, then revalidate with the ETag, so a new
/// release reaches every page within minutes without refetching an unchanged script.
const CACHE_CONTROL: &str = "public, max-age=300, must-revalidate";

struct Asset {
    identity: Vec<u8>,
    gzip: Vec<u8>,
    brotli: Vec<u8>,
    hash: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Asset {
    fn new(bytes: &[u8]) -> Self {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let gzip = gz.write_all(bytes).and_then(|()| gz.finish()).unwrap_or_default();
        let mut brotli = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
        if brotli::BrotliCompress(&mut &bytes[..], &mut brotli, &params).is_err() {
            brotli.clear();
        }
        let hash = hex::encode(&Sha256::digest(bytes)[..12]);
        Self { identity: bytes.to_vec(), gzip, brotli, hash }
    }

    fn body(&self, encoding: Encoding) -> &[u8] {
        match encoding {
            Encoding::Identity => &self.identity,
            Encoding::Gzip => &self.gzip,
            Encoding::Brotli => &self.brotli,
        }
    }

    fn etag(&self, encoding: Encoding) -> String {
        match encoding {
            Encoding::Identity => format!("\"{}\"", self.hash),
            Encoding::Gzip => format!("\"{}-gz\"", self.hash),
            Encoding::Brotli => format!("\"{}-br\"", self.hash),
        }
    }
}

static WIDGET: LazyLock<Asset> = LazyLock::new(|| Asset::new(WIDGET_JS));

/// The best encoding the client accepts: brotli, then gzip, then none.
fn negotiate(headers: &HeaderMap, asset: &Asset) -> Encoding {
    let accepted = |name: &str| {
        headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
            |item| {
                let mut parts = item.split(';').map(str::trim);
                let coding = parts.next().unwrap_or_default();
                let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
                coding.eq_ignore_ascii_case(name) && !refused
            },
        )
    };
    if accepted("br") && !asset.brotli.is_empty() {
        Encoding::Brotli
    } else if accepted("gzip") && !asset.gzip.is_empty() {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// The embeddable chat widget.
#[utoipa::path(get, path = "/widget.js", tag = "widget",
    responses((status = 200, description = "The widget script", content_type = "text/javascript"),
              (status = 304, description = "Not modified")))]
pub async fn widget_js(headers: HeaderMap) -> Response {
    let asset = &*WIDGET;
    let encoding = negotiate(&headers, asset);
    let etag = asset.etag(encoding);
    let mut common = vec![
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, CACHE_CONTROL.to_owned()),
        (header::VARY, "Accept-Encoding".to_owned()),
    ];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    if matches {
        return (StatusCode::NOT_MODIFIED, headers_of(common)).into_response();
    }
    common.push((header::CONTENT_TYPE, "text/javascript; charset=utf-8".to_owned()));
    common.push((header::HeaderName::from_static("cross-origin-resource-policy"), "cross-origin".to_owned()));
    match encoding {
        Encoding::Identity => {}
        Encoding::Gzip => common.push((header::CONTENT_ENCODING, "gzip".to_owned())),
        Encoding::Brotli => common.push((header::CONTENT_ENCODING, "br".to_owned())),
    }
    (headers_of(common), asset.body(encoding).to_vec()).into_response()
}

fn headers_of(pairs: Vec<(header::HeaderName, String)>) -> HeaderMap {
    pairs.into_iter().filter_map(|(name, value)| HeaderValue::from_str(&value).ok().map(|v| (name, v))).collect()
}
