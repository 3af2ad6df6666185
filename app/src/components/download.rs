//! Saving something from the browser as a file, through a temporary link.

/// Save `text` as a file called `name` with the given MIME type (browser only).
pub fn download_text(name: &str, mime: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    {
        let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
            return;
        };
        let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
            return;
        };
        download_href(name, &url);
        let _ = web_sys::Url::revoke_object_url(&url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, mime, text);
}

/// Save what `href` points at (an object or data URL) as a file called `name`.
pub fn download_href(name: &str, href: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Ok(a) = doc.create_element("a") {
                if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
                    a.set_href(href);
                    a.set_download(name);
                    a.click();
                }
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, href);
}
