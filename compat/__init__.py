"""Drop-in compatible recognition APIs (Plate Recognizer, Scaleflex, Huawei, Tencent), webhooks and usage."""
