//! The tray's icon for each state, drawn from the app's own icon so that it is always Ponte's:
//! as it is when all is well, with an amber dot while orders wait for the merchant, a red dot
//! when an account must be connected again, and grey while nothing is imported (switched off).
//! A dot and a colour, not a colour alone: the states differ in shape too.

use ponte_core::app::TrayState;

/// An icon's pixels, RGBA, row after row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

const AMBER: [u8; 3] = [0xf5, 0x9e, 0x0b];
const RED: [u8; 3] = [0xd9, 0x2d, 0x20];
const WHITE: [u8; 3] = [0xff, 0xff, 0xff];

/// The icon the tray shows in `state`.
pub fn for_state(base: &Pixels, state: TrayState) -> Pixels {
    match state {
        TrayState::Fine => base.clone(),
        TrayState::OrdersFailed => with_dot(base, AMBER),
        TrayState::AccessLost => with_dot(base, RED),
        TrayState::SwitchedOff => greyed(base),
    }
}

/// A dot in the lower right corner, a third of the icon wide, ringed in white so that it reads
/// on a dark or a light panel.
fn with_dot(base: &Pixels, colour: [u8; 3]) -> Pixels {
    let mut out = base.clone();
    let size = base.width.min(base.height) as f32;
    let radius = size * 0.2;
    let ring = (size / 16.0).max(1.0);
    let centre_x = base.width as f32 - radius - ring;
    let centre_y = base.height as f32 - radius - ring;
    for y in 0..base.height {
        for x in 0..base.width {
            let distance =
                ((x as f32 + 0.5 - centre_x).powi(2) + (y as f32 + 0.5 - centre_y).powi(2)).sqrt();
            // Coverage of the pixel by each disc, smoothed over one pixel at the edge.
            let outer = (radius + ring + 0.5 - distance).clamp(0.0, 1.0);
            let inner = (radius + 0.5 - distance).clamp(0.0, 1.0);
            if outer == 0.0 {
                continue;
            }
            let i = ((y * base.width + x) * 4) as usize;
            let pixel = &mut out.rgba[i..i + 4];
            blend(pixel, WHITE, outer);
            blend(pixel, colour, inner);
        }
    }
    out
}

/// `colour` over `pixel` with `coverage` (0 to 1).
fn blend(pixel: &mut [u8], colour: [u8; 3], coverage: f32) {
    if coverage == 0.0 {
        return;
    }
    let below = pixel[3] as f32 / 255.0;
    let alpha = coverage + below * (1.0 - coverage);
    for c in 0..3 {
        let mixed = (colour[c] as f32 * coverage + pixel[c] as f32 * below * (1.0 - coverage))
            / alpha.max(f32::EPSILON);
        pixel[c] = mixed.round() as u8;
    }
    pixel[3] = (alpha * 255.0).round() as u8;
}

/// Grey and lighter: Ponte is there, not importing.
fn greyed(base: &Pixels) -> Pixels {
    let mut out = base.clone();
    for pixel in out.rgba.chunks_exact_mut(4) {
        let luma = 0.299 * pixel[0] as f32 + 0.587 * pixel[1] as f32 + 0.114 * pixel[2] as f32;
        let grey = (luma * 0.6 + 255.0 * 0.25).min(255.0).round() as u8;
        pixel[..3].fill(grey);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 32×32 icon of one blue, opaque.
    fn blue() -> Pixels {
        Pixels {
            width: 32,
            height: 32,
            rgba: [0x0b, 0x6b, 0xcb, 0xff].repeat(32 * 32),
        }
    }

    fn at(icon: &Pixels, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * icon.width + x) * 4) as usize;
        icon.rgba[i..i + 4].try_into().unwrap()
    }

    #[test]
    fn each_state_has_an_icon_of_its_own_and_all_is_well_is_the_app_icon() {
        let base = blue();
        let icons: Vec<Pixels> = [
            TrayState::Fine,
            TrayState::OrdersFailed,
            TrayState::SwitchedOff,
            TrayState::AccessLost,
        ]
        .into_iter()
        .map(|state| for_state(&base, state))
        .collect();
        assert_eq!(icons[0], base);
        for (i, a) in icons.iter().enumerate() {
            assert_eq!((a.width, a.height, a.rgba.len()), (32, 32, 32 * 32 * 4));
            for b in &icons[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn the_dot_sits_in_the_lower_right_corner_ringed_in_white() {
        let base = blue();
        let failed = for_state(&base, TrayState::OrdersFailed);
        let lost = for_state(&base, TrayState::AccessLost);
        // The dot's centre: radius 6.4, ring 2 → (23.6, 23.6).
        assert_eq!(at(&failed, 23, 23), [0xf5, 0x9e, 0x0b, 0xff]);
        assert_eq!(at(&lost, 23, 23), [0xd9, 0x2d, 0x20, 0xff]);
        // The ring, just outside the dot's edge.
        assert_eq!(at(&failed, 23, 16), [0xff, 0xff, 0xff, 0xff]);
        // The rest of the icon is untouched.
        assert_eq!(at(&failed, 4, 4), at(&base, 4, 4));
        assert_eq!(at(&failed, 23, 4), at(&base, 23, 4));
    }

    #[test]
    fn the_dot_keeps_a_transparent_corner_transparent_outside_it() {
        let mut base = blue();
        base.rgba.iter_mut().skip(3).step_by(4).for_each(|a| *a = 0);
        let failed = for_state(&base, TrayState::OrdersFailed);
        assert_eq!(at(&failed, 31, 0)[3], 0);
        assert_eq!(at(&failed, 23, 23), [0xf5, 0x9e, 0x0b, 0xff]);
    }

    #[test]
    fn switched_off_is_grey_with_the_same_shape() {
        let off = for_state(&blue(), TrayState::SwitchedOff);
        let [r, g, b, a] = at(&off, 10, 10);
        assert!(r == g && g == b, "grey: {r} {g} {b}");
        assert_eq!(a, 0xff);
    }
}
