//! How a chunk of a series is laid out in bytes, and the aggregates kept beside it.
//!
//! A chunk holds up to [`CHUNK_POINTS`] points of one (run, key) series, sorted by
//! step, one point per step. Its row stores:
//! - the aggregates over all its points ([`ChunkSummary`], plain columns);
//! - a *sketch*: the same aggregates per cell of an aligned power-of-two step grid,
//!   at most [`MAX_CELLS`] cells, so a chart whose buckets are at least one cell
//!   wide never has to decode points; since layout v2 also per cell of two aligned
//!   power-of-two millisecond grids, at most [`MAX_TIME_CELLS`] each: one from the
//!   Unix epoch (wall-time charts) and one from the run's start (relative time), so
//!   time charts are answered without points the same way;
//! - the points themselves (`data`): steps as delta varints, wall times as
//!   millisecond zig-zag delta varints, values as raw little-endian f64 (so NaN,
//!   ±Inf and every bit of a value come back exactly).
//!
//! Both blobs start with a format version byte so a later layout can coexist.

use app::logic::bucket::Agg;

/// Most points in one chunk.
pub const CHUNK_POINTS: usize = 1_024;
/// Most cells in a chunk's sketch.
pub const MAX_CELLS: i64 = 64;
/// Most cells in each of a chunk's time sketches. A chunk covers about 1/100 of a
/// long run and a chart asks for 1,000 buckets, so cells of 1/32 of a chunk are
/// narrower than a bucket with room to spare, at half the bytes of 64.
pub const MAX_TIME_CELLS: i64 = 32;

const DATA_V1: u8 = 1;
const SKETCH_V1: u8 = 1;
/// v1 followed by the wall-time and the relative-time cells.
const SKETCH_V2: u8 = 2;
/// Time cells are only used while every time in the chunk, in milliseconds from
/// the grid's origin, is an exact `f64` (the chart's x) with room to spare.
const EXACT_MS: i64 = 1 << 52;

/// One stored point. Wall time is kept to the millisecond.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub step: i64,
    pub value: f64,
    pub wall_ms: i64,
}

impl Point {
    /// Whether two points are the same, bit for bit (NaN equals NaN).
    pub fn same(&self, other: &Point) -> bool {
        self.step == other.step
            && self.wall_ms == other.wall_ms
            && self.value.to_bits() == other.value.to_bits()
    }
}

/// A corrupt blob.
#[derive(Debug, thiserror::Error)]
#[error("corrupt metric chunk: {0}")]
pub struct Corrupt(pub &'static str);

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Reads values back in the order they were written.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    fn byte(&mut self) -> Result<u8, Corrupt> {
        let b = *self.bytes.get(self.at).ok_or(Corrupt("truncated"))?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, Corrupt> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return Err(Corrupt("varint too long"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    fn f64(&mut self) -> Result<f64, Corrupt> {
        let end = self.at + 8;
        let raw = self.bytes.get(self.at..end).ok_or(Corrupt("truncated"))?;
        self.at = end;
        let mut b = [0u8; 8];
        b.copy_from_slice(raw);
        Ok(f64::from_le_bytes(b))
    }
}

/// Encode points (sorted by step, steps unique and not negative).
pub fn encode_points(points: &[Point]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + points.len() * 11);
    out.push(DATA_V1);
    put_varint(&mut out, points.len() as u64);
    let mut prev_step = 0i64;
    for p in points {
        put_varint(&mut out, (p.step - prev_step) as u64);
        prev_step = p.step;
    }
    let mut prev_wall = 0i64;
    for p in points {
        put_varint(&mut out, zigzag(p.wall_ms.wrapping_sub(prev_wall)));
        prev_wall = p.wall_ms;
    }
    for p in points {
        out.extend_from_slice(&p.value.to_le_bytes());
    }
    out
}

/// Decode what [`encode_points`] wrote.
pub fn decode_points(bytes: &[u8]) -> Result<Vec<Point>, Corrupt> {
    let mut r = Reader::new(bytes);
    if r.byte()? != DATA_V1 {
        return Err(Corrupt("unknown data version"));
    }
    let n = r.varint()? as usize;
    if n > CHUNK_POINTS * 64 {
        return Err(Corrupt("too many points"));
    }
    let mut points = vec![
        Point {
            step: 0,
            value: 0.0,
            wall_ms: 0
        };
        n
    ];
    let mut step = 0i64;
    for p in points.iter_mut() {
        step = step.wrapping_add(r.varint()? as i64);
        p.step = step;
    }
    let mut wall = 0i64;
    for p in points.iter_mut() {
        wall = wall.wrapping_add(unzigzag(r.varint()?));
        p.wall_ms = wall;
    }
    for p in points.iter_mut() {
        p.value = r.f64()?;
    }
    Ok(points)
}

/// Aggregates over a chunk's points, stored as columns of its row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChunkSummary {
    pub step_min: i64,
    pub step_max: i64,
    pub wall_min_ms: i64,
    pub wall_max_ms: i64,
    pub points: i64,
    pub finite: i64,
    pub nan: i64,
    pub pos_inf: i64,
    pub neg_inf: i64,
    /// Over finite values; `None` when there are none.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub sum: f64,
    /// Values at the lowest and the highest step.
    pub first: f64,
    pub last: f64,
}

impl ChunkSummary {
    /// Summarise points sorted by step (at least one).
    pub fn of(points: &[Point]) -> ChunkSummary {
        let mut s = ChunkSummary {
            step_min: points.first().map_or(0, |p| p.step),
            step_max: points.last().map_or(0, |p| p.step),
            wall_min_ms: i64::MAX,
            wall_max_ms: i64::MIN,
            points: points.len() as i64,
            finite: 0,
            nan: 0,
            pos_inf: 0,
            neg_inf: 0,
            min: None,
            max: None,
            sum: 0.0,
            first: points.first().map_or(f64::NAN, |p| p.value),
            last: points.last().map_or(f64::NAN, |p| p.value),
        };
        for p in points {
            s.wall_min_ms = s.wall_min_ms.min(p.wall_ms);
            s.wall_max_ms = s.wall_max_ms.max(p.wall_ms);
            let v = p.value;
            if v.is_nan() {
                s.nan += 1;
            } else if v == f64::INFINITY {
                s.pos_inf += 1;
            } else if v == f64::NEG_INFINITY {
                s.neg_inf += 1;
            } else {
                s.finite += 1;
                s.sum += v;
                s.min = Some(s.min.map_or(v, |m| m.min(v)));
                s.max = Some(s.max.map_or(v, |m| m.max(v)));
            }
        }
        s
    }

    /// The chunk as an aggregate whose x extent is given by the caller.
    pub fn agg(&self, x_first: f64, x_last: f64) -> Agg {
        Agg {
            count: self.points as u64,
            finite: self.finite as u64,
            min: self.min.unwrap_or(f64::INFINITY),
            max: self.max.unwrap_or(f64::NEG_INFINITY),
            sum: self.sum,
            x_first,
            x_last,
            last_step: self.step_max,
            last: self.last,
        }
    }
}

/// One cell of a sketch: the aggregates of the chunk's points whose step falls in
/// `index << shift ..= ((index + 1) << shift) - 1` (or, in [`TimeCells`], whose time
/// does), with their step and time extents.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    pub index: i64,
    pub first_step: i64,
    pub last_step: i64,
    pub wall_min_ms: i64,
    pub wall_max_ms: i64,
    pub count: u64,
    pub finite: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub last: f64,
}

/// Per-cell aggregates of a chunk on an aligned power-of-two step grid, and (when
/// read for a time axis) on the matching time grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Sketch {
    pub shift: u32,
    /// Step cells (empty when the sketch was read for a time axis).
    pub cells: Vec<Cell>,
    /// Time cells for the axis the sketch was read for (none in layout v1, and none
    /// when read for the step axis).
    pub time: Option<TimeCells>,
}

/// Which part of a stored sketch a reader wants (each part is only decoded, and
/// cached, for the charts that use it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// No cells: the reader only wants the chunk's summary.
    Nothing,
    Steps,
    WallTime,
    RelativeTime,
}

impl Part {
    /// The part a chart on `x` reads.
    pub fn for_axis(x: app::model::XAxis) -> Part {
        match x {
            app::model::XAxis::Step => Part::Steps,
            app::model::XAxis::WallTime => Part::WallTime,
            app::model::XAxis::RelativeTime => Part::RelativeTime,
        }
    }
}

/// The aggregates of a chunk's points per cell of one aligned power-of-two grid of
/// milliseconds counted from `origin_ms`: cell `index` holds the points whose time is
/// in `origin + (index << shift) .. origin + ((index + 1) << shift)`. Times need not
/// grow with steps, so a cell's steps may interleave with another's.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeCells {
    pub origin_ms: i64,
    pub shift: u32,
    pub cells: Vec<Cell>,
}

/// The smallest cell width (as a shift) that covers `lo..=hi` in at most `max` cells.
fn sketch_shift(lo: i64, hi: i64, max: i64) -> u32 {
    let (lo, hi) = (i128::from(lo), i128::from(hi));
    let mut shift = 0u32;
    while shift < 62 && (hi >> shift) - (lo >> shift) + 1 > i128::from(max) {
        shift += 1;
    }
    shift
}

impl TimeCells {
    /// The time cells of points sorted by step (at least one), from `origin_ms`.
    /// None when a time is too far from the origin to be charted exactly.
    pub fn of(points: &[Point], origin_ms: i64) -> Option<TimeCells> {
        let rel = |p: &Point| {
            p.wall_ms
                .checked_sub(origin_ms)
                .filter(|t| t.abs() < EXACT_MS)
        };
        let mut lo = i64::MAX;
        let mut hi = i64::MIN;
        for p in points {
            let t = rel(p)?;
            lo = lo.min(t);
            hi = hi.max(t);
        }
        if lo > hi {
            return None;
        }
        let shift = sketch_shift(lo, hi, MAX_TIME_CELLS);
        let mut cells: Vec<Cell> = Vec::new();
        for p in points {
            let index = rel(p)? >> shift;
            // Times mostly grow with steps, so the cell is nearly always the last one.
            let at = match cells.last() {
                Some(c) if c.index == index => cells.len() - 1,
                _ => match cells.binary_search_by_key(&index, |c| c.index) {
                    Ok(i) => i,
                    Err(i) => {
                        cells.insert(i, Cell::start(index, p));
                        i
                    }
                },
            };
            cells[at].add(p);
        }
        Some(TimeCells {
            origin_ms,
            shift,
            cells,
        })
    }

    fn encode(this: Option<&TimeCells>, out: &mut Vec<u8>) {
        let Some(t) = this else {
            out.push(0);
            return;
        };
        out.push(1);
        put_varint(out, zigzag(t.origin_ms));
        out.push(t.shift as u8);
        put_varint(out, t.cells.len() as u64);
        let mut prev_index = t.cells.first().map_or(0, |c| c.index);
        put_varint(out, zigzag(prev_index));
        let mut prev_step = 0i64;
        for c in &t.cells {
            put_varint(out, c.index.wrapping_sub(prev_index) as u64);
            prev_index = c.index;
            let start = t.origin_ms.wrapping_add(c.index << t.shift);
            put_varint(out, c.wall_min_ms.wrapping_sub(start) as u64);
            put_varint(out, c.wall_max_ms.wrapping_sub(c.wall_min_ms) as u64);
            put_varint(out, zigzag(c.first_step.wrapping_sub(prev_step)));
            put_varint(out, c.last_step.wrapping_sub(c.first_step) as u64);
            prev_step = c.last_step;
            c.put_values(out);
        }
    }

    /// Read one part written by `encode`; `keep` false skips it (still checked).
    fn decode(r: &mut Reader<'_>, keep: bool) -> Result<Option<TimeCells>, Corrupt> {
        match r.byte()? {
            0 => return Ok(None),
            1 => {}
            _ => return Err(Corrupt("bad time sketch marker")),
        }
        let origin_ms = unzigzag(r.varint()?);
        let shift = u32::from(r.byte()?);
        if shift > 62 {
            return Err(Corrupt("time sketch shift out of range"));
        }
        let n = r.varint()?;
        if n == 0 || n > MAX_TIME_CELLS as u64 {
            return Err(Corrupt("bad number of time cells"));
        }
        let mut index = unzigzag(r.varint()?);
        let mut step = 0i64;
        let mut cells = Vec::with_capacity(if keep { n as usize } else { 0 });
        for _ in 0..n {
            index = index.wrapping_add(r.varint()? as i64);
            let start = origin_ms.wrapping_add(index.wrapping_shl(shift));
            let wall_min_ms = start.wrapping_add(r.varint()? as i64);
            let wall_max_ms = wall_min_ms.wrapping_add(r.varint()? as i64);
            let first_step = step.wrapping_add(unzigzag(r.varint()?));
            step = first_step.wrapping_add(r.varint()? as i64);
            let cell = Cell::read_values(
                r,
                Cell {
                    index,
                    first_step,
                    last_step: step,
                    wall_min_ms,
                    wall_max_ms,
                    ..Cell::EMPTY
                },
            )?;
            if keep {
                cells.push(cell);
            }
        }
        Ok(keep.then_some(TimeCells {
            origin_ms,
            shift,
            cells,
        }))
    }
}

impl Sketch {
    /// Build the sketch of points sorted by step (at least one) of a run that
    /// started at `start_ms`, with every part (as a chunk is stored).
    pub fn of(points: &[Point], start_ms: i64) -> StoredSketch {
        StoredSketch {
            steps: Sketch::steps_of(points),
            wall: TimeCells::of(points, 0),
            relative: TimeCells::of(points, start_ms),
        }
    }

    /// The step cells of points sorted by step (at least one).
    pub fn steps_of(points: &[Point]) -> Sketch {
        let lo = points.first().map_or(0, |p| p.step);
        let hi = points.last().map_or(0, |p| p.step);
        let shift = sketch_shift(lo, hi, MAX_CELLS);
        let mut cells: Vec<Cell> = Vec::new();
        for p in points {
            let index = p.step >> shift;
            match cells.last_mut() {
                Some(c) if c.index == index => c.add(p),
                _ => {
                    let mut c = Cell::start(index, p);
                    c.add(p);
                    cells.push(c);
                }
            }
        }
        Sketch {
            shift,
            cells,
            time: None,
        }
    }

    /// The step cells in layout v1 (what migration m0002 wrote; tests read it back).
    #[cfg(test)]
    pub fn encode_v1(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.cells.len() * 44);
        out.push(SKETCH_V1);
        self.encode_steps(&mut out);
        out
    }

    fn encode_steps(&self, out: &mut Vec<u8>) {
        out.push(self.shift as u8);
        put_varint(out, self.cells.len() as u64);
        let base_wall = self.cells.iter().map(|c| c.wall_min_ms).min().unwrap_or(0);
        put_varint(out, zigzag(base_wall));
        let mut prev_index = 0i64;
        for c in &self.cells {
            put_varint(out, (c.index - prev_index) as u64);
            prev_index = c.index;
            put_varint(out, (c.first_step - (c.index << self.shift)) as u64);
            put_varint(out, (c.last_step - c.first_step) as u64);
            put_varint(out, (c.wall_min_ms - base_wall) as u64);
            put_varint(out, (c.wall_max_ms - c.wall_min_ms) as u64);
            c.put_values(out);
        }
    }

    /// Read the `part` of a stored sketch a reader wants (either layout).
    pub fn decode(bytes: &[u8], part: Part) -> Result<Sketch, Corrupt> {
        let mut r = Reader::new(bytes);
        let version = r.byte()?;
        if version != SKETCH_V1 && version != SKETCH_V2 {
            return Err(Corrupt("unknown sketch version"));
        }
        if part == Part::Nothing {
            return Ok(Sketch {
                shift: 0,
                cells: Vec::new(),
                time: None,
            });
        }
        let mut sketch = Sketch::decode_steps(&mut r, part == Part::Steps)?;
        if version == SKETCH_V2 && matches!(part, Part::WallTime | Part::RelativeTime) {
            let wall = TimeCells::decode(&mut r, part == Part::WallTime)?;
            let relative = TimeCells::decode(&mut r, part == Part::RelativeTime)?;
            sketch.time = wall.or(relative);
        }
        Ok(sketch)
    }

    /// The step cells; `keep` false reads past them (still checked) and keeps none.
    fn decode_steps(r: &mut Reader<'_>, keep: bool) -> Result<Sketch, Corrupt> {
        let shift = u32::from(r.byte()?);
        if shift > 62 {
            return Err(Corrupt("sketch shift out of range"));
        }
        let n = r.varint()?;
        if n > MAX_CELLS as u64 {
            return Err(Corrupt("too many sketch cells"));
        }
        let base_wall = unzigzag(r.varint()?);
        let mut cells = Vec::with_capacity(if keep { n as usize } else { 0 });
        let mut index = 0i64;
        for _ in 0..n {
            index = index.wrapping_add(r.varint()? as i64);
            let first_step = (index << shift).wrapping_add(r.varint()? as i64);
            let last_step = first_step.wrapping_add(r.varint()? as i64);
            let wall_min_ms = base_wall.wrapping_add(r.varint()? as i64);
            let wall_max_ms = wall_min_ms.wrapping_add(r.varint()? as i64);
            let cell = Cell::read_values(
                r,
                Cell {
                    index,
                    first_step,
                    last_step,
                    wall_min_ms,
                    wall_max_ms,
                    ..Cell::EMPTY
                },
            )?;
            if keep {
                cells.push(cell);
            }
        }
        Ok(Sketch {
            shift: if keep { shift } else { 0 },
            cells,
            time: None,
        })
    }
}

/// Every part of a chunk's sketch, as it is built and stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSketch {
    pub steps: Sketch,
    pub wall: Option<TimeCells>,
    pub relative: Option<TimeCells>,
}

impl StoredSketch {
    /// Layout v2: the step cells as in v1, then the wall-time and relative-time cells.
    pub fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(4 + self.steps.cells.len() * 44 + 2 * MAX_TIME_CELLS as usize * 40);
        out.push(SKETCH_V2);
        self.steps.encode_steps(&mut out);
        TimeCells::encode(self.wall.as_ref(), &mut out);
        TimeCells::encode(self.relative.as_ref(), &mut out);
        out
    }

    /// The part a reader would get from the stored bytes (tests build chunk rows so).
    #[cfg(test)]
    pub fn part(&self, part: Part) -> Sketch {
        let mut out = Sketch {
            shift: 0,
            cells: Vec::new(),
            time: None,
        };
        match part {
            Part::Nothing => {}
            Part::Steps => out = self.steps.clone(),
            Part::WallTime => out.time = self.wall.clone(),
            Part::RelativeTime => out.time = self.relative.clone(),
        }
        out
    }
}

impl Cell {
    const EMPTY: Cell = Cell {
        index: 0,
        first_step: i64::MAX,
        last_step: i64::MIN,
        wall_min_ms: i64::MAX,
        wall_max_ms: i64::MIN,
        count: 0,
        finite: 0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        sum: 0.0,
        last: f64::NAN,
    };

    /// An empty cell at `index` that `p` is about to be added to.
    fn start(index: i64, p: &Point) -> Cell {
        Cell {
            index,
            first_step: p.step,
            last_step: p.step,
            ..Cell::EMPTY
        }
    }

    /// Count one more point (points arrive in step order).
    fn add(&mut self, p: &Point) {
        self.count += 1;
        self.first_step = self.first_step.min(p.step);
        if p.step >= self.last_step {
            self.last_step = p.step;
            self.last = p.value;
        }
        self.wall_min_ms = self.wall_min_ms.min(p.wall_ms);
        self.wall_max_ms = self.wall_max_ms.max(p.wall_ms);
        if p.value.is_finite() {
            self.finite += 1;
            self.min = self.min.min(p.value);
            self.max = self.max.max(p.value);
            self.sum += p.value;
        }
    }

    /// The counts, the finite values' min, max and sum (only when there are some)
    /// and the last value, as both layouts write them after a cell's place.
    fn put_values(&self, out: &mut Vec<u8>) {
        put_varint(out, self.count);
        put_varint(out, self.finite);
        if self.finite > 0 {
            out.extend_from_slice(&self.min.to_le_bytes());
            out.extend_from_slice(&self.max.to_le_bytes());
            out.extend_from_slice(&self.sum.to_le_bytes());
        }
        out.extend_from_slice(&self.last.to_le_bytes());
    }

    /// Read what [`Cell::put_values`] wrote into `cell`.
    fn read_values(r: &mut Reader<'_>, mut cell: Cell) -> Result<Cell, Corrupt> {
        cell.count = r.varint()?;
        cell.finite = r.varint()?;
        if cell.finite > 0 {
            cell.min = r.f64()?;
            cell.max = r.f64()?;
            cell.sum = r.f64()?;
        }
        cell.last = r.f64()?;
        Ok(cell)
    }

    /// The cell as an aggregate whose x extent is given by the caller.
    pub fn agg(&self, x_first: f64, x_last: f64) -> Agg {
        Agg {
            count: self.count,
            finite: self.finite,
            min: self.min,
            max: self.max,
            sum: self.sum,
            x_first,
            x_last,
            last_step: self.last_step,
            last: self.last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn point() -> impl Strategy<Value = (i64, f64, i64)> {
        (
            0i64..1_000_000,
            prop_oneof![
                6 => -1e9f64..1e9,
                1 => Just(f64::NAN),
                1 => Just(f64::INFINITY),
                1 => Just(f64::NEG_INFINITY),
                1 => any::<f64>(),
            ],
            0i64..4_000_000_000_000,
        )
    }

    fn sorted(raw: Vec<(i64, f64, i64)>) -> Vec<Point> {
        let mut points: Vec<Point> = raw
            .into_iter()
            .map(|(step, value, wall_ms)| Point {
                step,
                value,
                wall_ms,
            })
            .collect();
        points.sort_by_key(|p| p.step);
        points.dedup_by_key(|p| p.step);
        points
    }

    proptest! {
        #[test]
        fn points_round_trip_bit_for_bit(raw in proptest::collection::vec(point(), 0..CHUNK_POINTS)) {
            let points = sorted(raw);
            let back = decode_points(&encode_points(&points)).unwrap();
            prop_assert_eq!(back.len(), points.len());
            for (a, b) in points.iter().zip(&back) {
                prop_assert!(a.same(b), "{a:?} != {b:?}");
            }
        }

        #[test]
        fn sketch_round_trips_and_adds_up(raw in proptest::collection::vec(point(), 1..CHUNK_POINTS), start in 0i64..4_000_000_000_000) {
            let points = sorted(raw);
            let stored = Sketch::of(&points, start);
            let sketch = &stored.steps;
            prop_assert!(sketch.cells.len() as i64 <= MAX_CELLS);
            let bytes = stored.encode();
            let back = Sketch::decode(&bytes, Part::Steps).unwrap();
            prop_assert_eq!(back.shift, sketch.shift);
            prop_assert_eq!(back.cells.len(), sketch.cells.len());
            for (a, b) in sketch.cells.iter().zip(&back.cells) {
                prop_assert_eq!((a.index, a.first_step, a.last_step, a.count, a.finite), (b.index, b.first_step, b.last_step, b.count, b.finite));
                prop_assert_eq!((a.wall_min_ms, a.wall_max_ms), (b.wall_min_ms, b.wall_max_ms));
                prop_assert_eq!(a.last.to_bits(), b.last.to_bits());
                if a.finite > 0 {
                    prop_assert_eq!((a.min, a.max, a.sum), (b.min, b.max, b.sum));
                }
            }
            // Each time part reads back as built: encoding what was read gives the same bytes.
            let wall = Sketch::decode(&bytes, Part::WallTime).unwrap().time;
            let relative = Sketch::decode(&bytes, Part::RelativeTime).unwrap().time;
            prop_assert!(Sketch::decode(&bytes, Part::Nothing).unwrap().cells.is_empty());
            let again = StoredSketch { steps: back, wall, relative };
            prop_assert_eq!(again.encode(), bytes);
            // Every point is in the time cell its time names, and only there.
            for (t, origin) in [(&stored.wall, 0), (&stored.relative, start)] {
                let t = t.as_ref().unwrap();
                prop_assert_eq!(t.origin_ms, origin);
                prop_assert!(t.cells.len() as i64 <= MAX_TIME_CELLS);
                prop_assert!(t.cells.windows(2).all(|w| w[0].index < w[1].index));
                prop_assert_eq!(t.cells.iter().map(|c| c.count).sum::<u64>(), points.len() as u64);
                for c in &t.cells {
                    let inside: Vec<&Point> = points.iter().filter(|p| (p.wall_ms - origin) >> t.shift == c.index).collect();
                    prop_assert_eq!(inside.len() as u64, c.count);
                    prop_assert_eq!(inside.iter().map(|p| p.wall_ms).min(), Some(c.wall_min_ms));
                    prop_assert_eq!(inside.iter().map(|p| p.wall_ms).max(), Some(c.wall_max_ms));
                    let top = inside.iter().max_by_key(|p| p.step).unwrap();
                    prop_assert_eq!((top.step, top.value.to_bits()), (c.last_step, c.last.to_bits()));
                }
            }
            let summary = ChunkSummary::of(&points);
            prop_assert_eq!(sketch.cells.iter().map(|c| c.count).sum::<u64>(), points.len() as u64);
            prop_assert_eq!(summary.points as usize, points.len());
            prop_assert_eq!(summary.finite + summary.nan + summary.pos_inf + summary.neg_inf, summary.points);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_points(&bytes);
            for part in [Part::Nothing, Part::Steps, Part::WallTime, Part::RelativeTime] {
                let _ = Sketch::decode(&bytes, part);
            }
        }
    }

    #[test]
    fn extreme_steps_keep_the_sketch_small() {
        let points = [0, 5, i64::MAX - 1, i64::MAX].map(|step| Point {
            step,
            value: 1.0,
            wall_ms: 0,
        });
        let sketch = Sketch::steps_of(&points);
        assert!(sketch.cells.len() as i64 <= MAX_CELLS);
        assert_eq!(
            Sketch::decode(&sketch.encode_v1(), Part::Steps).unwrap(),
            sketch
        );
    }

    #[test]
    fn times_too_far_from_the_origin_get_no_time_cells() {
        let points = [Point {
            step: 0,
            value: 1.0,
            wall_ms: i64::MAX,
        }];
        let stored = Sketch::of(&points, 0);
        assert!(stored.wall.is_none() && stored.relative.is_none());
        let back = Sketch::decode(&stored.encode(), Part::WallTime).unwrap();
        assert!(back.time.is_none());
    }

    #[test]
    fn dense_chunks_are_small() {
        let points: Vec<Point> = (0..CHUNK_POINTS as i64)
            .map(|i| Point {
                step: 5_000 + i,
                value: (i as f64).sin(),
                wall_ms: 1_700_000_000_000 + i * 250,
            })
            .collect();
        let data = encode_points(&points).len();
        let stored = Sketch::of(&points, 1_700_000_000_000);
        // 1 step byte + 2 wall bytes + 8 value bytes per point.
        assert!(data <= CHUNK_POINTS * 11 + 16, "{data}");
        assert_eq!(stored.steps.shift, 5);
        assert!(stored.steps.encode_v1().len() < 33 * 48);
        // 256 s of points in 32 cells of 8,192 ms (plus the one a misaligned start adds).
        let wall = stored.wall.as_ref().unwrap();
        assert_eq!(wall.shift, 13);
        assert!(wall.cells.len() <= 33);
        let all = stored.encode().len();
        assert!(all < 33 * 48 + 2 * 33 * 44, "{all}");
    }
}

/// The live codec must always read chunks as migration m0002 wrote them (layout v1).
#[cfg(test)]
mod reads_m0002 {
    use crate::db::migration::m0002_v1 as v1;
    use crate::metrics::codec;
    use proptest::prelude::*;

    fn points(raw: &[(u16, f64, i32)]) -> Vec<v1::Point> {
        let mut step = 0i64;
        raw.iter()
            .map(|&(gap, value, wall)| {
                step += i64::from(gap) + 1;
                v1::Point {
                    step,
                    value,
                    wall_ms: 1_700_000_000_000 + i64::from(wall),
                }
            })
            .collect()
    }

    proptest! {
        /// What this migration writes, the live codec reads back as written (the live
        /// codec must always read layout v1).
        #[test]
        fn the_live_codec_reads_what_this_migration_writes(
            raw in prop::collection::vec(
                (0u16..5_000, prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY)], -1_000_000i32..1_000_000),
                1..300,
            )
        ) {
            let pts = points(&raw);
            let live: Vec<codec::Point> = pts
                .iter()
                .map(|p| codec::Point { step: p.step, value: p.value, wall_ms: p.wall_ms })
                .collect();
            let back = codec::decode_points(&v1::encode_points(&pts)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(back.iter().zip(&live).all(|(a, b)| a.same(b)) && back.len() == live.len());
            let sketch = codec::Sketch::decode(&v1::sketch(&pts), codec::Part::Steps).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let want = codec::Sketch::steps_of(&live);
            prop_assert_eq!(sketch.shift, want.shift);
            prop_assert_eq!(sketch.cells.len(), want.cells.len());
            for (a, b) in sketch.cells.iter().zip(&want.cells) {
                prop_assert_eq!((a.index, a.first_step, a.last_step, a.count, a.finite), (b.index, b.first_step, b.last_step, b.count, b.finite));
                prop_assert_eq!((a.wall_min_ms, a.wall_max_ms), (b.wall_min_ms, b.wall_max_ms));
                if a.finite > 0 {
                    prop_assert_eq!((a.min, a.max), (b.min, b.max));
                    prop_assert!((a.sum - b.sum).abs() <= 1e-9 * a.sum.abs().max(1.0));
                }
                prop_assert_eq!(a.last.to_bits(), b.last.to_bits());
            }
            let s = v1::ChunkSummary::of(&pts);
            let l = codec::ChunkSummary::of(&live);
            prop_assert_eq!((s.points, s.finite, s.nan, s.pos_inf, s.neg_inf), (l.points, l.finite, l.nan, l.pos_inf, l.neg_inf));
            prop_assert_eq!((s.min, s.max, s.step_min, s.step_max), (l.min, l.max, l.step_min, l.step_max));
        }
    }
}
