"""Payment terms and late interest under the payment regulation (保障中小企业款项支付条例)."""
