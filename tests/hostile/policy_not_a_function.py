# hostile prior: policy not a function
# expect: refused at load
policy = [0.0, 0.0, 0.0]
