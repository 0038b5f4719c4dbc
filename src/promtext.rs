//! Text forms Prometheus' Go tools print (stub, being written).
/// Stub until the real formatter lands.
pub fn write_labels<'a>(out: &mut Vec<u8>, labels: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) {
    for (n, v) in labels {
        out.extend_from_slice(n);
        out.extend_from_slice(v);
    }
}
/// STUB
pub fn write_float(out: &mut Vec<u8>, v: f64) { out.extend_from_slice(v.to_string().as_bytes()); }
