//! The crypto of the plugin's gRPC server: ring's, with its private key loaded off the path from
//! start to handshake.
//!
//! tf-provider generates a P-384 key and a certificate at every start, and tonic loads that key
//! into rustls before the handshake line is printed. ring's loading checks the key by computing
//! its public half again: a P-384 scalar multiplication, 0.4 ms of the ~3 ms from start to
//! handshake (`make bench`). Nothing signs with the key before Terraform has read the handshake
//! line, connected and sent its TLS ClientHello, so the key is loaded on a thread of its own
//! meanwhile, and the handshake line goes out without waiting for it. The first signature waits
//! for the load if it has not finished.
//!
//! Everything ring checks is still checked, on that thread. A key that fails its checks fails
//! every TLS handshake, and the reason is logged at each attempt.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use rustls::crypto::ring::sign::any_supported_type;
use rustls::crypto::{CryptoProvider, KeyProvider};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::{Signer, SigningKey};
use rustls::{Error, SignatureAlgorithm, SignatureScheme};

/// ring's provider, with private keys loaded in the background.
pub fn crypto_provider() -> CryptoProvider {
    CryptoProvider {
        key_provider: &BackgroundKeyLoading,
        ..rustls::crypto::ring::default_provider()
    }
}

/// Loads PKCS#8 keys (what tf-provider hands rustls) on a thread of their own; any other
/// encoding, or a thread that cannot be started, is loaded at once as ring would.
#[derive(Debug)]
struct BackgroundKeyLoading;

impl KeyProvider for BackgroundKeyLoading {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, Error> {
        if !matches!(key_der, PrivateKeyDer::Pkcs8(_)) {
            return any_supported_type(&key_der);
        }
        let for_thread = key_der.clone_key();
        match std::thread::Builder::new()
            .name("tls-key".to_string())
            .spawn(move || any_supported_type(&for_thread))
        {
            Ok(loading) => Ok(Arc::new(LoadingKey {
                loading: Mutex::new(Some(loading)),
                loaded: OnceLock::new(),
            })),
            Err(_) => any_supported_type(&key_der),
        }
    }

    fn fips(&self) -> bool {
        false
    }
}

type Loaded = Result<Arc<dyn SigningKey>, Error>;

/// A key being loaded: every use waits for the load, once.
struct LoadingKey {
    loading: Mutex<Option<JoinHandle<Loaded>>>,
    loaded: OnceLock<Loaded>,
}

impl LoadingKey {
    fn key(&self) -> Result<&Arc<dyn SigningKey>, &Error> {
        self.loaded
            .get_or_init(|| {
                // `get_or_init` runs this once; the handle is only ever taken here.
                let loading = self.loading.lock().ok().and_then(|mut l| l.take());
                match loading.map(JoinHandle::join) {
                    Some(Ok(loaded)) => loaded,
                    Some(Err(_)) => Err(Error::General(
                        "loading the private key panicked".to_string(),
                    )),
                    None => Err(Error::General("the private key was not loaded".to_string())),
                }
            })
            .as_ref()
    }

    fn key_or_log(&self) -> Option<&Arc<dyn SigningKey>> {
        match self.key() {
            Ok(key) => Some(key),
            Err(err) => {
                tracing::error!(
                    target: "podidentity",
                    "the plugin server's TLS key cannot be used, so Terraform cannot connect: {err}"
                );
                None
            }
        }
    }
}

impl SigningKey for LoadingKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        self.key_or_log()?.choose_scheme(offered)
    }

    /// Unknown until loaded, and the point is not to wait: rustls then skips its comparison of
    /// the key with the certificate, which tf-provider has just signed with this very key.
    fn public_key(&self) -> Option<rustls::pki_types::SubjectPublicKeyInfoDer<'_>> {
        None
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.key_or_log()
            .map_or(SignatureAlgorithm::Unknown(0), |key| key.algorithm())
    }
}

impl fmt::Debug for LoadingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.loaded.get() {
            Some(Ok(key)) => key.fmt(f),
            Some(Err(err)) => write!(f, "LoadingKey(failed: {err})"),
            None => f.write_str("LoadingKey(loading)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{self, EcdsaKeyPair, KeyPair};
    use rustls::pki_types::{PrivatePkcs8KeyDer, PrivateSec1KeyDer};

    fn p384_pkcs8() -> (Vec<u8>, Vec<u8>) {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P384_SHA384_ASN1_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("generated");
        let public = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng)
            .expect("parsed")
            .public_key()
            .as_ref()
            .to_vec();
        (pkcs8.as_ref().to_vec(), public)
    }

    fn load(der: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, Error> {
        crypto_provider().key_provider.load_private_key(der)
    }

    #[test]
    fn a_key_loaded_in_the_background_signs_what_its_public_key_verifies() {
        let (pkcs8, public) = p384_pkcs8();
        let key = load(PrivatePkcs8KeyDer::from(pkcs8).into()).expect("accepted");
        assert_eq!(key.algorithm(), SignatureAlgorithm::ECDSA);
        assert!(key.choose_scheme(&[SignatureScheme::ED25519]).is_none());
        let signer = key
            .choose_scheme(&[
                SignatureScheme::ED25519,
                SignatureScheme::ECDSA_NISTP384_SHA384,
            ])
            .expect("a P-384 scheme");
        assert_eq!(signer.scheme(), SignatureScheme::ECDSA_NISTP384_SHA384);
        let signature = signer.sign(b"hello").expect("signed");
        signature::UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_ASN1, &public)
            .verify(b"hello", &signature)
            .expect("verified with the key's public half");
    }

    #[test]
    fn a_pkcs8_key_that_does_not_load_fails_every_use_instead_of_the_start() {
        let key = load(PrivatePkcs8KeyDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]).into())
            .expect("checked in the background");
        assert!(key
            .choose_scheme(&[SignatureScheme::ECDSA_NISTP384_SHA384])
            .is_none());
        assert_eq!(key.algorithm(), SignatureAlgorithm::Unknown(0));
        assert!(format!("{key:?}").contains("failed"), "{key:?}");
    }

    #[test]
    fn other_encodings_are_loaded_at_once() {
        let err =
            load(PrivateSec1KeyDer::from(vec![0x30, 0x00]).into()).expect_err("refused at load");
        assert!(matches!(err, Error::General(_)), "{err:?}");
    }

    #[test]
    fn the_provider_is_rings_but_for_key_loading() {
        let ours = crypto_provider();
        let ring = rustls::crypto::ring::default_provider();
        assert_eq!(ours.cipher_suites, ring.cipher_suites);
        assert_eq!(ours.kx_groups.len(), ring.kx_groups.len());
        assert!(!ours.fips());
    }
}
