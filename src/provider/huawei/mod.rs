//! What the four Huawei Cloud providers share: endpoints, AK/SK signing, IAM tokens.

pub mod sign;
