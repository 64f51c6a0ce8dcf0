//! What the renderers promise about their output, independent of reading.

mod support;

use consent_qr::{qr_version, read_text, render_png, render_svg, render_terminal};
use support::*;

const TERMINAL_CHARS: [char; 4] = [' ', '▀', '▄', '█'];

/// Modules across, including the 4-module quiet zone on each side.
fn side_in_modules(text: &str) -> usize {
    let version = usize::from(qr_version(text).expect("text fits"));
    17 + 4 * version + 8
}

#[test]
fn terminal_rendering_uses_only_half_blocks_and_has_even_lines() {
    // A property over many lengths and contents rather than one example.
    let mut rng = Rng::new(99);
    for len in (0..=330).step_by(7) {
        let text: String = (0..len)
            .map(|_| char::from(b'!' + (rng.next() % 94) as u8))
            .collect();
        let drawn = render_terminal(&text).expect("text fits");
        let side = side_in_modules(&text);
        let lines: Vec<&str> = drawn.split('\n').collect();
        assert_eq!(lines.len(), side.div_ceil(2), "len {len}: line count");
        for line in &lines {
            assert_eq!(line.chars().count(), side, "len {len}: line width");
            assert!(
                line.chars().all(|c| TERMINAL_CHARS.contains(&c)),
                "len {len}: unexpected character in {line:?}"
            );
        }
        assert!(!drawn.ends_with('\n'));
    }
}

#[test]
fn terminal_rendering_has_a_light_quiet_zone() {
    let drawn = render_terminal(&text_178()).expect("text fits");
    let lines: Vec<&str> = drawn.lines().collect();
    // 4 light module rows on top = 2 full lines of full blocks.
    for line in &lines[..2] {
        assert!(line.chars().all(|c| c == '█'), "top border: {line:?}");
    }
    // Sides are odd, so the last line holds only the bottom module row; its
    // lower half is the terminal's own background.
    let (last, body) = lines.split_last().expect("has lines");
    assert!(last.chars().all(|c| c == '▀'), "bottom border: {last:?}");
    for line in &body[body.len() - 1..] {
        assert!(line.chars().all(|c| c == '█'), "bottom border: {line:?}");
    }
    for line in body {
        assert!(line.starts_with("████") && line.ends_with("████"));
    }
}

/// Paints the terminal text as a screenshot would show it: light blocks on
/// a dark terminal background, `cell` pixels per module.
fn screenshot(drawn: &str, cell: u32) -> image::GrayImage {
    let lines: Vec<Vec<char>> = drawn.lines().map(|l| l.chars().collect()).collect();
    let width = lines[0].len() as u32;
    let height = 2 * lines.len() as u32;
    let margin = 5 * cell;
    image::GrayImage::from_fn(width * cell + 2 * margin, height * cell + 2 * margin, |x, y| {
        let light = x
            .checked_sub(margin)
            .zip(y.checked_sub(margin))
            .is_some_and(|(x, y)| {
                let (mx, my) = ((x / cell) as usize, (y / cell) as usize);
                let Some(c) = lines.get(my / 2).and_then(|l| l.get(mx)) else {
                    return false;
                };
                match c {
                    '█' => true,
                    '▀' => my & 1 == 0,
                    '▄' => my & 1 == 1,
                    _ => false,
                }
            });
        image::Luma([if light { 230 } else { 20 }])
    })
}

#[test]
fn terminal_rendering_reads_back_from_a_screenshot() {
    for text in [text_178(), text_275()] {
        let shot = screenshot(&render_terminal(&text).expect("text fits"), 3);
        assert_eq!(read_text(&to_png(&shot)).as_deref(), Ok(text.as_str()));
    }
}

#[test]
fn svg_rendering_is_an_svg_document() {
    let svg = render_svg(&text_178()).expect("text fits");
    assert!(svg.contains("<svg"), "{svg:.80}");
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("#000000") && svg.contains("#ffffff"));
}

#[test]
fn png_rendering_has_requested_module_size_and_quiet_zone() {
    let text = text_178();
    let side = side_in_modules(&text) as u32;
    for px in [1, 3, 10] {
        let img = decode_png(&render_png(&text, px).expect("text fits"));
        assert_eq!(img.dimensions(), (side * px, side * px));
        // The whole quiet zone (4 modules) is white.
        let qz = 4 * px;
        for (x, y, p) in img.enumerate_pixels() {
            let in_border = x < qz || y < qz || x >= img.width() - qz || y >= img.height() - qz;
            if in_border {
                assert_eq!(p.0[0], 255, "{px}px: dark pixel in quiet zone at {x},{y}");
            }
        }
    }
}

#[test]
fn version_of_typical_consent_codes_stays_small() {
    let v178 = qr_version(&text_178()).expect("fits");
    let v275 = qr_version(&text_275()).expect("fits");
    assert_eq!(text_178().len(), 178);
    assert_eq!(text_275().len(), 275);
    assert!(v178 <= 9, "178 chars need version {v178}");
    assert!(v275 <= 13, "275 chars need version {v275}");
}

#[test]
fn version_is_the_one_drawn_and_grows_with_length() {
    let mut last = 1;
    for len in [0, 1, 14, 15, 100, 178, 275, 330, 1000, 2331] {
        let text = "a".repeat(len);
        let v = qr_version(&text).expect("fits at M");
        assert!((1..=40).contains(&v));
        assert!(v >= last, "version shrank at length {len}");
        last = v;
        let png = render_png(&text, 1).expect("fits");
        let width = decode_png(&png).width() as usize;
        assert_eq!(width, side_in_modules(&text), "drawn version differs at {len}");
    }
    // Byte-mode capacities at level M from the QR standard.
    assert_eq!(qr_version(&"a".repeat(14)), Ok(1));
    assert_eq!(qr_version(&"a".repeat(15)), Ok(2));
    assert_eq!(qr_version(&"a".repeat(2331)), Ok(40));
}
