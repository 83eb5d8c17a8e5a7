use concierge_domain::hash_token;
use subtle::ConstantTimeEq;

use super::{Error, Result, Services};

/// Who is calling the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `CONCIERGE_ADMIN_TOKEN`: every workspace.
    Admin,
    /// A user's API token: that user's workspace only.
    Member { workspace_id: String, user_id: String },
}

impl Principal {
    pub fn can_access(&self, workspace_id: &str) -> bool {
        match self {
            Principal::Admin => true,
            Principal::Member { workspace_id: own, .. } => own == workspace_id,
        }
    }
}

impl Services {
    pub async fn authenticate_admin(&self, bearer: Option<&str>) -> Result<Principal> {
        let token = bearer.filter(|t| !t.is_empty()).ok_or(Error::Unauthorized)?;
        if let Some(admin) = &self.settings.admin_token {
            // Constant-time, so response times do not reveal how much of a guess was right.
            if bool::from(admin.as_bytes().ct_eq(token.as_bytes())) {
                return Ok(Principal::Admin);
            }
        }
        let owner = self.store.find_api_token(&hash_token(token)).await?.ok_or(Error::Unauthorized)?;
        Ok(Principal::Member { workspace_id: owner.workspace_id, user_id: owner.user_id })
    }
}
