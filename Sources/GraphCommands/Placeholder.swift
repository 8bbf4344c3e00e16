public enum PlaceholderC {}
