//! Bytes to text: the encodings that Windows shells and CI systems produce.

use std::borrow::Cow;

/// Turns raw input bytes into UTF-8 text, or says why it cannot.
///
/// Accepts UTF-8 with or without a byte-order mark and UTF-16 (either byte
/// order) with a byte-order mark, which is what PowerShell's `>` writes.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8(rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    // UTF-16 without a byte-order mark: ASCII text with every other byte zero.
    if bytes.len() >= 4 && (bytes[1] == 0 && bytes[3] == 0 || bytes[0] == 0 && bytes[2] == 0) {
        return Err(
            "the input looks like UTF-16 text without a byte-order mark; save it as UTF-8 \
             (or UTF-16 with a byte-order mark)"
                .to_string(),
        );
    }
    utf8(bytes)
}

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        format!(
            "the input is not UTF-8 text (invalid byte at offset {}); expected the JSON that \
             `terraform show -json` prints",
            e.valid_up_to()
        )
    })
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, String> {
    if bytes.len() % 2 != 0 {
        return Err("the input has a UTF-16 byte-order mark but an odd number of bytes".into());
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|e| format!("the input is not valid UTF-16: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_utf8_bom() {
        assert_eq!(decode(b"\xEF\xBB\xBF{}").unwrap(), "{}");
    }

    #[test]
    fn decodes_utf16_both_orders() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("{\"a\":1}".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode(&le).unwrap(), "{\"a\":1}");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("{}".encode_utf16().flat_map(|u| u.to_be_bytes()))
            .collect();
        assert_eq!(decode(&be).unwrap(), "{}");
    }

    #[test]
    fn rejects_binary() {
        assert!(decode(&[0x80, 0x81, 0x82, 0x00, 0x01]).is_err());
    }
}
