# hostile prior: policy not a function
# expect: refused at load
# refused: `policy` is a list, not a function
policy = [0.0, 0.0, 0.0]
