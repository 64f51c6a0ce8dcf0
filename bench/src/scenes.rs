//! Photo-like scenes for the media benchmark, drawn from a seed: the kind of
//! picture a school publishes (a sports day on the field, a class in front
//! of the building, a group in the hall), so the perceptual hash is measured
//! on what it will meet rather than on noise.
//!
//! A scene is a sky and ground (or a wall and floor) in gradients, buildings
//! with windows, trees, and people: heads and hair as ellipses, rounded
//! bodies and arms, legs, in varied skin tones and clothes, larger nearer
//! the camera. Then textures, a lens's softness, uneven lighting, a
//! vignette and sensor grain. Every number comes from [`Dice`], so the same
//! seed draws the same scenes on every machine, with no dependency whose
//! next version could change them.

use image::{Rgb, RgbImage};

/// Landscape pictures: width × height.
pub const LANDSCAPE: (u32, u32) = (1200, 800);
/// Portrait pictures: width × height.
pub const PORTRAIT: (u32, u32) = (800, 1200);

/// A small deterministic source of random numbers (SplitMix64).
pub struct Dice(u64);

impl Dice {
    /// Dice that always roll the same for the same seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A number in [low, high).
    pub fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.unit()
    }

    /// A whole number in 0..n (n > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }

    /// One of `items` (not empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// Red, green, blue in 0..=255, kept as floats while drawing.
type Colour = [f32; 3];

/// Scene `index` of the set drawn from `seed`: a landscape
/// ([`LANDSCAPE`]) or, one in three, a portrait ([`PORTRAIT`]).
pub fn scene(seed: u64, index: u64) -> RgbImage {
    let mut dice = Dice::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let (width, height) = if dice.chance(0.35) { PORTRAIT } else { LANDSCAPE };
    let mut canvas = Canvas::new(width, height);
    let horizon = height as f32 * dice.range(0.3, 0.62);
    if dice.chance(0.3) {
        indoors(&mut canvas, &mut dice, horizon);
    } else {
        outdoors(&mut canvas, &mut dice, horizon);
    }
    people(&mut canvas, &mut dice, horizon);
    canvas.soften();
    canvas.develop(&mut dice)
}

/// A sky, clouds, ground with its texture and markings, buildings and trees.
fn outdoors(canvas: &mut Canvas, dice: &mut Dice, horizon: f32) {
    let skies: [(Colour, Colour); 4] = [
        ([70.0, 130.0, 205.0], [175.0, 208.0, 238.0]),
        ([145.0, 150.0, 160.0], [205.0, 205.0, 210.0]),
        ([60.0, 70.0, 140.0], [250.0, 170.0, 105.0]),
        ([115.0, 165.0, 220.0], [232.0, 230.0, 218.0]),
    ];
    let (top, bottom) = dice.pick(&skies);
    let (top, bottom) = (jitter(dice, top, 18.0), jitter(dice, bottom, 18.0));
    canvas.vertical_gradient(0.0, horizon, top, bottom);
    for _ in 0..dice.below(6) {
        let (x, y) = (
            dice.range(0.0, canvas.width as f32),
            dice.range(0.0, horizon * 0.8),
        );
        let size = dice.range(40.0, 160.0);
        for _ in 0..4 + dice.below(5) {
            canvas.ellipse(
                x + dice.range(-1.5, 1.5) * size,
                y + dice.range(-0.4, 0.4) * size,
                size * dice.range(0.5, 1.0),
                size * dice.range(0.3, 0.5),
                jitter(dice, [240.0, 240.0, 245.0], 10.0),
                dice.range(0.4, 0.8),
            );
        }
    }
    let grounds: [(Colour, Colour); 5] = [
        ([80.0, 125.0, 55.0], [60.0, 150.0, 50.0]),
        ([75.0, 110.0, 60.0], [110.0, 160.0, 70.0]),
        ([185.0, 165.0, 125.0], [215.0, 190.0, 140.0]),
        ([95.0, 95.0, 100.0], [70.0, 70.0, 75.0]),
        ([150.0, 140.0, 135.0], [120.0, 110.0, 105.0]),
    ];
    let (far, near) = dice.pick(&grounds);
    let (far, near) = (jitter(dice, far, 15.0), jitter(dice, near, 15.0));
    canvas.vertical_gradient(horizon, canvas.height as f32, far, near);
    let texture_seed = dice.next_u64();
    canvas.texture(
        horizon,
        canvas.height as f32,
        dice.range(8.0, 40.0),
        dice.range(0.1, 0.3),
        texture_seed,
    );
    // Sports-field lines or paving joints: long, thin, lighter bands.
    for _ in 0..dice.below(4) {
        let y = dice.range(horizon + 10.0, canvas.height as f32);
        let thickness = 2.0 + (y - horizon) * 0.02;
        canvas.rect(
            0.0,
            y,
            canvas.width as f32,
            y + thickness,
            [235.0, 235.0, 230.0],
            dice.range(0.5, 0.9),
        );
    }
    let mut x = dice.range(-200.0, 100.0);
    while x < canvas.width as f32 && dice.chance(0.75) {
        let width = dice.range(150.0, 500.0);
        let height = dice.range(0.15, 0.6) * horizon.max(200.0);
        let base = horizon + dice.range(0.0, 20.0);
        building(canvas, dice, x, width, base, height);
        x += width + dice.range(-60.0, 300.0);
    }
    for _ in 0..dice.below(6) {
        let base = horizon + dice.range(0.0, 60.0);
        let height = dice.range(0.2, 0.5) * canvas.height as f32;
        let x = dice.range(0.0, canvas.width as f32);
        tree(canvas, dice, x, base, height);
    }
}

/// A wall with windows and a board, a floor of planks or tiles, tables.
fn indoors(canvas: &mut Canvas, dice: &mut Dice, horizon: f32) {
    let walls: [Colour; 5] = [
        [225.0, 215.0, 190.0],
        [190.0, 210.0, 225.0],
        [235.0, 235.0, 230.0],
        [230.0, 210.0, 150.0],
        [200.0, 225.0, 200.0],
    ];
    let wall = one_of(dice, &walls, 15.0);
    canvas.vertical_gradient(0.0, horizon, scale(wall, 0.85), wall);
    for _ in 0..1 + dice.below(3) {
        let x = dice.range(0.0, canvas.width as f32 - 100.0);
        let width = dice.range(100.0, 350.0);
        let top = dice.range(0.05, 0.4) * horizon;
        let bottom = top + dice.range(0.3, 0.55) * horizon;
        canvas.rect(x, top, x + width, bottom, [90.0, 90.0, 95.0], 1.0);
        canvas.vertical_gradient_in(
            x + 6.0,
            top + 6.0,
            x + width - 6.0,
            bottom - 6.0,
            jitter(dice, [200.0, 225.0, 245.0], 20.0),
            jitter(dice, [240.0, 245.0, 250.0], 10.0),
        );
    }
    if dice.chance(0.6) {
        let boards: [Colour; 3] = [[40.0, 75.0, 55.0], [245.0, 245.0, 245.0], [35.0, 35.0, 40.0]];
        let x = dice.range(0.0, canvas.width as f32 * 0.6);
        let top = dice.range(0.1, 0.3) * horizon;
        canvas.rect(
            x,
            top,
            x + dice.range(200.0, 500.0),
            top + dice.range(0.3, 0.5) * horizon,
            one_of(dice, &boards, 8.0),
            1.0,
        );
    }
    let floors: [Colour; 4] = [
        [160.0, 115.0, 70.0],
        [120.0, 120.0, 125.0],
        [90.0, 120.0, 160.0],
        [190.0, 170.0, 140.0],
    ];
    let floor = one_of(dice, &floors, 15.0);
    canvas.vertical_gradient(horizon, canvas.height as f32, scale(floor, 0.8), floor);
    let plank = dice.range(30.0, 120.0);
    let mut x = 0.0;
    while x < canvas.width as f32 {
        let shade = dice.range(-12.0, 12.0);
        canvas.add(x, horizon, x + plank, canvas.height as f32, shade);
        x += plank;
    }
    let texture_seed = dice.next_u64();
    canvas.texture(
        horizon,
        canvas.height as f32,
        dice.range(4.0, 20.0),
        0.08,
        texture_seed,
    );
    for _ in 0..dice.below(4) {
        let y = dice.range(horizon + 20.0, canvas.height as f32 * 0.9);
        let depth = (y - horizon) / (canvas.height as f32 - horizon);
        let width = dice.range(150.0, 350.0) * (0.5 + depth);
        let x = dice.range(-50.0, canvas.width as f32);
        let brown = jitter(dice, [140.0, 100.0, 60.0], 25.0);
        canvas.rect(x, y, x + width, y + 12.0 + 10.0 * depth, brown, 1.0);
        canvas.rect(
            x + 8.0,
            y,
            x + 16.0,
            y + 80.0 * (0.5 + depth),
            scale(brown, 0.7),
            1.0,
        );
    }
}

/// One to ten people standing on the ground, drawn far to near.
fn people(canvas: &mut Canvas, dice: &mut Dice, horizon: f32) {
    let height = canvas.height as f32;
    let mut feet: Vec<(f32, f32)> = (0..1 + dice.below(10))
        .map(|_| {
            (
                dice.range(-0.05, 1.05) * canvas.width as f32,
                dice.range(horizon + 0.08 * height, 1.1 * height),
            )
        })
        .collect();
    feet.sort_by(|a, b| a.1.total_cmp(&b.1));
    for (x, y) in feet {
        let depth = (y - horizon) / (height - horizon);
        let grown = if dice.chance(0.25) { 1.3 } else { 1.0 };
        person(canvas, dice, x, y, height * (0.25 + 0.45 * depth) * grown);
    }
}

/// A person whose feet stand at (x, y), `tall` pixels tall.
fn person(canvas: &mut Canvas, dice: &mut Dice, x: f32, y: f32, tall: f32) {
    let skins: [Colour; 6] = [
        [255.0, 224.0, 196.0],
        [241.0, 194.0, 125.0],
        [224.0, 172.0, 105.0],
        [198.0, 134.0, 66.0],
        [141.0, 85.0, 36.0],
        [92.0, 58.0, 30.0],
    ];
    let hairs: [Colour; 6] = [
        [20.0, 18.0, 18.0],
        [60.0, 40.0, 25.0],
        [110.0, 75.0, 40.0],
        [220.0, 190.0, 120.0],
        [165.0, 75.0, 35.0],
        [170.0, 170.0, 170.0],
    ];
    let trousers: [Colour; 4] = [
        [50.0, 70.0, 120.0],
        [30.0, 30.0, 35.0],
        [110.0, 110.0, 115.0],
        [175.0, 155.0, 115.0],
    ];
    let skin = one_of(dice, &skins, 8.0);
    let hair = one_of(dice, &hairs, 10.0);
    let legs = one_of(dice, &trousers, 12.0);
    let shirt = [
        dice.range(20.0, 240.0),
        dice.range(20.0, 240.0),
        dice.range(20.0, 240.0),
    ];
    let h = tall;
    canvas.ellipse(x, y, 0.2 * h, 0.03 * h, [0.0, 0.0, 0.0], 0.25);
    for side in [-1.0, 1.0] {
        let leg = x + side * 0.055 * h;
        canvas.rect(leg - 0.045 * h, y - 0.47 * h, leg + 0.045 * h, y, legs, 1.0);
        canvas.rect(
            leg - 0.05 * h,
            y - 0.03 * h,
            leg + 0.06 * h,
            y,
            [25.0, 25.0, 25.0],
            1.0,
        );
    }
    let shoulders = y - 0.8 * h;
    for side in [-1.0, 1.0] {
        let (x0, x1) = if side < 0.0 {
            (x - 0.19 * h, x - 0.12 * h)
        } else {
            (x + 0.12 * h, x + 0.19 * h)
        };
        if dice.chance(0.2) {
            // Cheering on sports day: an arm raised.
            canvas.rounded_rect(x0, shoulders - 0.25 * h, x1, shoulders + 0.1 * h, 0.035 * h, skin);
        } else {
            canvas.rounded_rect(x0, shoulders, x1, y - 0.48 * h, 0.035 * h, scale(shirt, 0.85));
            canvas.ellipse((x0 + x1) / 2.0, y - 0.47 * h, 0.035 * h, 0.035 * h, skin, 1.0);
        }
    }
    canvas.rounded_rect(
        x - 0.14 * h,
        shoulders,
        x + 0.14 * h,
        y - 0.44 * h,
        0.06 * h,
        shirt,
    );
    canvas.rect(
        x - 0.03 * h,
        y - 0.85 * h,
        x + 0.03 * h,
        shoulders + 0.01 * h,
        skin,
        1.0,
    );
    let head = y - 0.91 * h;
    canvas.ellipse(x, head - 0.025 * h, 0.08 * h, 0.07 * h, hair, 1.0);
    canvas.ellipse(x, head + 0.01 * h, 0.068 * h, 0.08 * h, skin, 1.0);
    if dice.chance(0.4) {
        // Long hair falls beside the face.
        canvas.rounded_rect(
            x - 0.085 * h,
            head - 0.03 * h,
            x - 0.055 * h,
            head + 0.09 * h,
            0.015 * h,
            hair,
        );
        canvas.rounded_rect(
            x + 0.055 * h,
            head - 0.03 * h,
            x + 0.085 * h,
            head + 0.09 * h,
            0.015 * h,
            hair,
        );
    }
    for side in [-1.0, 1.0] {
        canvas.ellipse(
            x + side * 0.025 * h,
            head,
            0.008 * h,
            0.008 * h,
            [30.0, 25.0, 20.0],
            1.0,
        );
    }
}

/// A building whose front stands on `base`, with windows, a door and perhaps a pitched roof.
fn building(canvas: &mut Canvas, dice: &mut Dice, x: f32, width: f32, base: f32, height: f32) {
    let walls: [Colour; 4] = [
        [150.0, 70.0, 50.0],
        [165.0, 165.0, 160.0],
        [200.0, 170.0, 110.0],
        [235.0, 230.0, 220.0],
    ];
    let wall = one_of(dice, &walls, 15.0);
    let top = base - height;
    canvas.rect(x, top, x + width, base, wall, 1.0);
    if dice.chance(0.5) {
        canvas.triangle(
            x + width / 2.0,
            top - dice.range(0.2, 0.5) * width,
            x - 10.0,
            x + width + 10.0,
            top,
            jitter(dice, [110.0, 50.0, 40.0], 25.0),
        );
    } else {
        canvas.rect(x - 4.0, top - 8.0, x + width + 4.0, top, scale(wall, 0.6), 1.0);
    }
    let glass = if dice.chance(0.5) {
        jitter(dice, [60.0, 75.0, 95.0], 15.0)
    } else {
        jitter(dice, [170.0, 195.0, 215.0], 15.0)
    };
    let size = dice.range(18.0, 45.0);
    let gap = size * dice.range(0.6, 1.5);
    let mut row = top + gap;
    while row + size < base - size {
        let mut column = x + gap;
        while column + size < x + width - gap / 2.0 {
            canvas.rect(column, row, column + size, row + size * 1.3, glass, 1.0);
            column += size + gap;
        }
        row += size * 1.3 + gap;
    }
    let door = x + dice.range(0.1, 0.8) * width;
    canvas.rect(door, base - 60.0, door + 35.0, base, scale(wall, 0.4), 1.0);
}

/// A tree: a trunk and a crown of leafy clusters, green or autumn-coloured.
fn tree(canvas: &mut Canvas, dice: &mut Dice, x: f32, base: f32, height: f32) {
    let trunk = jitter(dice, [90.0, 65.0, 40.0], 15.0);
    canvas.rect(
        x - 0.03 * height,
        base - 0.5 * height,
        x + 0.03 * height,
        base,
        trunk,
        1.0,
    );
    let leaves: Colour = if dice.chance(0.2) {
        [200.0, 130.0, 40.0]
    } else {
        [50.0, 110.0, 45.0]
    };
    let centre = base - 0.65 * height;
    for _ in 0..6 + dice.below(9) {
        let radius = dice.range(0.1, 0.2) * height;
        canvas.ellipse(
            x + dice.range(-0.2, 0.2) * height,
            centre + dice.range(-0.2, 0.15) * height,
            radius,
            radius * dice.range(0.8, 1.1),
            jitter(dice, leaves, 25.0),
            1.0,
        );
    }
}

/// One of `colours`, jittered by up to `amount`.
fn one_of(dice: &mut Dice, colours: &[Colour], amount: f32) -> Colour {
    let colour = dice.pick(colours);
    jitter(dice, colour, amount)
}

/// A colour moved by up to `amount` in brightness and a little in each channel.
fn jitter(dice: &mut Dice, colour: Colour, amount: f32) -> Colour {
    let light = dice.range(-amount, amount);
    colour.map(|channel| (channel + light + dice.range(-amount, amount) / 2.0).clamp(0.0, 255.0))
}

fn scale(colour: Colour, factor: f32) -> Colour {
    colour.map(|channel| channel * factor)
}

/// A picture being drawn, in floating point until it is developed.
struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<Colour>,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            pixels: vec![[0.0; 3]; (width * height) as usize],
        }
    }

    /// The pixel rows and columns a shape from (x0, y0) to (x1, y1) covers.
    fn span(&self, x0: f32, y0: f32, x1: f32, y1: f32) -> (u32, u32, u32, u32) {
        let clamp_x = |v: f32| v.round().clamp(0.0, self.width as f32) as u32;
        let clamp_y = |v: f32| v.round().clamp(0.0, self.height as f32) as u32;
        (clamp_x(x0), clamp_y(y0), clamp_x(x1), clamp_y(y1))
    }

    fn blend(&mut self, x: u32, y: u32, colour: Colour, alpha: f32) {
        let pixel = &mut self.pixels[(y * self.width + x) as usize];
        for (channel, value) in pixel.iter_mut().zip(colour) {
            *channel += (value - *channel) * alpha;
        }
    }

    fn vertical_gradient(&mut self, top: f32, bottom: f32, from: Colour, to: Colour) {
        self.vertical_gradient_in(0.0, top, self.width as f32, bottom, from, to);
    }

    fn vertical_gradient_in(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, from: Colour, to: Colour) {
        let (left, top, right, bottom) = self.span(x0, y0, x1, y1);
        for y in top..bottom {
            let t = (y as f32 - y0) / (y1 - y0).max(1.0);
            let colour = [0, 1, 2].map(|c| from[c] + (to[c] - from[c]) * t);
            for x in left..right {
                self.blend(x, y, colour, 1.0);
            }
        }
    }

    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, colour: Colour, alpha: f32) {
        let (left, top, right, bottom) = self.span(x0, y0, x1, y1);
        for y in top..bottom {
            for x in left..right {
                self.blend(x, y, colour, alpha);
            }
        }
    }

    /// Lightens or darkens a rectangle by `amount` levels.
    fn add(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, amount: f32) {
        let (left, top, right, bottom) = self.span(x0, y0, x1, y1);
        for y in top..bottom {
            for x in left..right {
                let pixel = &mut self.pixels[(y * self.width + x) as usize];
                for channel in pixel.iter_mut() {
                    *channel += amount;
                }
            }
        }
    }

    /// An ellipse with an anti-aliased edge.
    fn ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, colour: Colour, alpha: f32) {
        let (rx, ry) = (rx.max(0.5), ry.max(0.5));
        let (left, top, right, bottom) =
            self.span(cx - rx - 1.0, cy - ry - 1.0, cx + rx + 1.0, cy + ry + 1.0);
        let edge = 1.0 / rx.min(ry);
        for y in top..bottom {
            let dy = (y as f32 + 0.5 - cy) / ry;
            for x in left..right {
                let dx = (x as f32 + 0.5 - cx) / rx;
                let d = (dx * dx + dy * dy).sqrt();
                let coverage = ((1.0 - d) / edge + 0.5).clamp(0.0, 1.0);
                if coverage > 0.0 {
                    self.blend(x, y, colour, alpha * coverage);
                }
            }
        }
    }

    fn rounded_rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, radius: f32, colour: Colour) {
        let (left, top, right, bottom) = self.span(x0, y0, x1, y1);
        let radius = radius.min((x1 - x0) / 2.0).min((y1 - y0) / 2.0).max(0.5);
        for y in top..bottom {
            let py = y as f32 + 0.5;
            let dy = (py - py.clamp(y0 + radius, y1 - radius)).abs();
            for x in left..right {
                let px = x as f32 + 0.5;
                let dx = (px - px.clamp(x0 + radius, x1 - radius)).abs();
                let coverage = (radius - (dx * dx + dy * dy).sqrt() + 0.5).clamp(0.0, 1.0);
                if coverage > 0.0 {
                    self.blend(x, y, colour, coverage);
                }
            }
        }
    }

    /// A triangle with its apex at (x, apex) and its base from `left` to `right` at `base`.
    fn triangle(&mut self, x: f32, apex: f32, left: f32, right: f32, base: f32, colour: Colour) {
        let (_, top, _, bottom) = self.span(left, apex, right, base);
        for y in top..bottom {
            let t = (y as f32 - apex) / (base - apex).max(1.0);
            let (from, to) = (x + (left - x) * t, x + (right - x) * t);
            self.rect(from, y as f32, to, y as f32 + 1.0, colour, 1.0);
        }
    }

    /// Grass, gravel or grain: brightness varied by value noise at `cell`
    /// pixels and at a quarter of that, by up to `strength`.
    fn texture(&mut self, y0: f32, y1: f32, cell: f32, strength: f32, seed: u64) {
        let (_, top, _, bottom) = self.span(0.0, y0, 0.0, y1);
        for y in top..bottom {
            for x in 0..self.width {
                let (fx, fy) = (x as f32, y as f32);
                let coarse = value_noise(fx / cell, fy / (cell * 0.6), seed);
                let fine = value_noise(fx / (cell / 4.0), fy / (cell / 6.0), seed ^ 0xA5A5);
                let factor = 1.0 + strength * (coarse - 0.5 + 0.5 * (fine - 0.5));
                let pixel = &mut self.pixels[(y * self.width + x) as usize];
                for channel in pixel.iter_mut() {
                    *channel *= factor;
                }
            }
        }
    }

    /// A lens's softness: a [1 2 1] blur across and down.
    fn soften(&mut self) {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut across = self.pixels.clone();
        for y in 0..h {
            for x in 1..w - 1 {
                let i = y * w + x;
                across[i] = [0, 1, 2]
                    .map(|c| (self.pixels[i - 1][c] + 2.0 * self.pixels[i][c] + self.pixels[i + 1][c]) / 4.0);
            }
        }
        for y in 1..h - 1 {
            for x in 0..w {
                let i = y * w + x;
                self.pixels[i] =
                    [0, 1, 2].map(|c| (across[i - w][c] + 2.0 * across[i][c] + across[i + w][c]) / 4.0);
            }
        }
    }

    /// Exposure, white balance, light falling across the scene, a vignette
    /// and sensor grain, then 8 bits per channel.
    fn develop(self, dice: &mut Dice) -> RgbImage {
        let exposure = dice.range(0.8, 1.15);
        let warmth = dice.range(-0.06, 0.08);
        let angle = dice.range(0.0, std::f32::consts::TAU);
        let (ramp_x, ramp_y) = (angle.cos(), angle.sin());
        let ramp = dice.range(0.0, 0.6);
        let vignette = dice.range(0.0, 0.8);
        let grain = dice.range(1.5, 7.0);
        let mut noise = Dice::new(dice.next_u64());
        let (w, h) = (self.width as f32, self.height as f32);
        RgbImage::from_fn(self.width, self.height, |x, y| {
            let (nx, ny) = (x as f32 / w - 0.5, y as f32 / h - 0.5);
            let light = exposure
                * (1.0 + ramp * (nx * ramp_x + ny * ramp_y))
                * (1.0 - vignette * (nx * nx + ny * ny));
            // The sum of three uniform numbers is near enough a normal one.
            let luma = grain * 2.0 * (noise.unit() + noise.unit() + noise.unit() - 1.5);
            let pixel = self.pixels[(y * self.width + x) as usize];
            let balance = [1.0 + warmth, 1.0, 1.0 - warmth];
            Rgb([0, 1, 2].map(|c| {
                let chroma = grain * 0.5 * (noise.unit() - 0.5);
                (pixel[c] * light * balance[c] + luma + chroma)
                    .round()
                    .clamp(0.0, 255.0) as u8
            }))
        })
    }
}

/// Smooth noise in [0, 1]: random values at whole coordinates, blended between.
fn value_noise(x: f32, y: f32, seed: u64) -> f32 {
    let (ix, iy) = (x.floor(), y.floor());
    let (fx, fy) = (x - ix, y - iy);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let at = |dx: i64, dy: i64| {
        let key = (ix as i64 + dx).wrapping_mul(0x27D4_EB2F) ^ (iy as i64 + dy).wrapping_mul(0x1656_67B1);
        (Dice::new(seed ^ key as u64).next_u64() >> 40) as f32 / (1u64 << 24) as f32
    };
    let top = at(0, 0) + (at(1, 0) - at(0, 0)) * sx;
    let bottom = at(0, 1) + (at(1, 1) - at(0, 1)) * sx;
    top + (bottom - top) * sy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_scene() {
        assert_eq!(scene(7, 3).as_raw(), scene(7, 3).as_raw());
        assert_ne!(scene(7, 3).as_raw(), scene(7, 4).as_raw());
    }

    #[test]
    fn scenes_come_in_both_orientations() {
        let sizes: Vec<(u32, u32)> = (0..12).map(|i| scene(1, i).dimensions()).collect();
        assert!(
            sizes.contains(&LANDSCAPE) && sizes.contains(&PORTRAIT),
            "{sizes:?}"
        );
    }
}
