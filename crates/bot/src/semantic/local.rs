//! A BERT sentence-embedding model on the CPU (candle), with its own tokenizer
//! (`tokenizers`): what sentence-transformers does for all-MiniLM-L6-v2 and its kind, from
//! the same files, without Python and without a download.

use std::fmt;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationParams};

use super::{normalize, EmbedError};

/// sentence-transformers' own limit for the MiniLM models when the directory does not say.
const DEFAULT_MAX_TOKENS: usize = 256;
/// The weights are told apart by their length and these many bytes at each end: hashing
/// all 90 MB would slow every start for no better answer.
const FINGERPRINT_BYTES: usize = 1 << 20;

pub struct LocalModel {
    model: BertModel,
    tokenizer: Tokenizer,
    /// Mean of the token vectors (sentence-transformers' default) or the first token's.
    mean_pooling: bool,
    key: String,
}

impl fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalModel").field("key", &self.key).finish_non_exhaustive()
    }
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(dir.join(name)).map_err(|e| load_error(dir, format!("{name}: {e}")))
}

fn load_error(dir: &Path, reason: impl Into<String>) -> EmbedError {
    EmbedError::Load { dir: dir.display().to_string(), reason: reason.into() }
}

/// A number from one of sentence-transformers' small JSON files, if the file and the key
/// are there.
fn setting(dir: &Path, file: &str, key: &str) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()?.get(key).cloned()
}

impl LocalModel {
    /// Reads `config.json`, `model.safetensors` and `tokenizer.json` from `dir`, and the
    /// pooling and sequence length sentence-transformers keeps beside them, if present.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let config_bytes = read(dir, "config.json")?;
        let config: Config = serde_json::from_slice(&config_bytes)
            .map_err(|e| load_error(dir, format!("config.json is not a BERT configuration: {e}")))?;
        let tokenizer_bytes = read(dir, "tokenizer.json")?;
        let mut tokenizer =
            Tokenizer::from_bytes(&tokenizer_bytes).map_err(|e| load_error(dir, format!("tokenizer.json: {e}")))?;
        let max_tokens = setting(dir, "sentence_bert_config.json", "max_seq_length")
            .and_then(|v| v.as_u64())
            .map_or(DEFAULT_MAX_TOKENS, |n| n as usize)
            .min(config.max_position_embeddings);
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..Default::default() }))
            .map_err(|e| load_error(dir, format!("tokenizer.json: {e}")))?;
        let mean_pooling =
            setting(dir, "1_Pooling/config.json", "pooling_mode_cls_token").and_then(|v| v.as_bool()) != Some(true);

        let weights = read(dir, "model.safetensors")?;
        let mut fingerprint = Sha256::new();
        fingerprint.update(&config_bytes);
        fingerprint.update(&tokenizer_bytes);
        fingerprint.update((weights.len() as u64).to_le_bytes());
        fingerprint.update(&weights[..weights.len().min(FINGERPRINT_BYTES)]);
        fingerprint.update(&weights[weights.len().saturating_sub(FINGERPRINT_BYTES)..]);
        // The files alone, not where they are: instances may keep one model in different
        // directories.
        let key = format!("local:{}", &hex::encode(fingerprint.finalize())[..16]);

        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|e| load_error(dir, format!("model.safetensors: {e}")))?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| load_error(dir, format!("model.safetensors does not fit config.json: {e}")))?;
        Ok(Self { model, tokenizer, mean_pooling, key })
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The unit vector of one text (beyond the model's token limit, its beginning). CPU
    /// work of some milliseconds: call it off the async threads.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let failed = |e: &dyn fmt::Display| EmbedError::Model(e.to_string());
        let encoding = self.tokenizer.encode(text, true).map_err(|e| failed(&e))?;
        let ids = Tensor::new(encoding.get_ids(), &Device::Cpu).and_then(|t| t.unsqueeze(0)).map_err(|e| failed(&e))?;
        let mask = Tensor::new(encoding.get_attention_mask(), &Device::Cpu)
            .and_then(|t| t.unsqueeze(0))
            .map_err(|e| failed(&e))?;
        let pooled = ids
            .zeros_like()
            .and_then(|types| self.model.forward(&ids, &types, Some(&mask)))
            .and_then(|tokens| {
                // One text, no padding: every token counts.
                if self.mean_pooling {
                    tokens.mean(1)
                } else {
                    tokens.get_on_dim(1, 0)
                }
            })
            .and_then(|pooled| pooled.squeeze(0))
            .and_then(|pooled| pooled.to_vec1::<f32>())
            .map_err(|e| failed(&e))?;
        Ok(normalize(pooled))
    }
}
