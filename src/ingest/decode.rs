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

/// Inputs larger than this are checked in pieces of about this size, on
/// every core: the check is a pass over the whole file that nothing else
/// can start before it ends.
const PIECE: usize = 1 << 22;

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    utf8_in_pieces(bytes, PIECE)
}

/// [`utf8`] with pieces of `piece` bytes. Each piece starts where a
/// character starts (at a byte that does not continue a character), so the
/// text is valid exactly when every piece is. Where one is not, the whole
/// is checked again in order, for the offset of the first invalid byte.
fn utf8_in_pieces(bytes: &[u8], piece: usize) -> Result<Cow<'_, str>, String> {
    use rayon::prelude::*;
    if bytes.len() > piece {
        let continues = |b: u8| b & 0xC0 == 0x80;
        let mut starts = vec![0];
        let mut at = piece;
        while at < bytes.len() {
            while at < bytes.len() && continues(bytes[at]) {
                at += 1;
            }
            if at < bytes.len() {
                starts.push(at);
            }
            at += piece;
        }
        starts.push(bytes.len());
        let valid = starts
            .par_windows(2)
            .all(|w| std::str::from_utf8(&bytes[w[0]..w[1]]).is_ok());
        if valid {
            // SAFETY: the pieces cover the bytes, each is valid UTF-8 and
            // each starts a character, so together they are valid UTF-8.
            return Ok(Cow::Borrowed(unsafe {
                std::str::from_utf8_unchecked(bytes)
            }));
        }
    }
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
    use proptest::prelude::*;

    proptest! {
        /// Checking in pieces of any size tells valid text from invalid
        /// bytes as one pass over the whole does, and names the same first
        /// invalid byte: characters of one to four bytes, with stray and
        /// truncated bytes among them, cut at every place.
        #[test]
        fn checking_utf8_in_pieces_agrees_with_one_pass(
            parts in proptest::collection::vec(prop_oneof![
                Just(b"a".to_vec()),
                Just("\u{e9}".as_bytes().to_vec()),
                Just("\u{20ac}".as_bytes().to_vec()),
                Just("\u{1f600}".as_bytes().to_vec()),
                Just(vec![0x80]),
                Just(vec![0xE2, 0x82]),
                Just(vec![0xFF]),
            ], 0..24),
            piece in 1usize..9,
        ) {
            let bytes = parts.concat();
            let whole = std::str::from_utf8(&bytes).map_err(|e| e.valid_up_to());
            let ours = utf8_in_pieces(&bytes, piece);
            match whole {
                Ok(t) => prop_assert_eq!(ours.unwrap(), t),
                Err(at) => {
                    let message = ours.unwrap_err();
                    prop_assert!(message.contains(&format!("offset {at})")), "{}", message);
                }
            }
        }
    }

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
