use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator every stream uses: fast, 256 bits of state, good statistics.
pub type StreamRng = Xoshiro256PlusPlus;

/// SplitMix64 finaliser: spreads structured inputs (seed, replication, entity)
/// over the whole 64-bit space before they seed a stream.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An independent random stream for one purpose of one entity in one
/// replication. Keyed by identity rather than drawn from a shared generator,
/// so adding a portal or a replication never shifts the numbers another
/// portal or replication sees: results stay stable as a scenario grows, and
/// replications can run on any thread in any order.
pub fn stream(seed: u64, replication: u64, entity: u64, purpose: u64) -> StreamRng {
    let mut h = mix(seed);
    h = mix(h ^ replication);
    h = mix(h ^ entity.wrapping_mul(0x1000_0000_01B3));
    h = mix(h ^ purpose.wrapping_mul(0xA076_1D64_78BD_642F));
    StreamRng::seed_from_u64(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: u64 = stream(1, 0, 0, 0).gen();
        let b: u64 = stream(1, 0, 0, 0).gen();
        assert_eq!(a, b);
        let others = [
            stream(2, 0, 0, 0).gen::<u64>(),
            stream(1, 1, 0, 0).gen::<u64>(),
            stream(1, 0, 1, 0).gen::<u64>(),
            stream(1, 0, 0, 1).gen::<u64>(),
        ];
        for o in others {
            assert_ne!(a, o);
        }
    }
}
