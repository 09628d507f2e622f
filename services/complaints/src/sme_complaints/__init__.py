"""complaints: money owed to SMEs (保障中小企业款项支付条例): intake, statutory deadlines, resolution."""
