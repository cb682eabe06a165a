import PolicyABI
