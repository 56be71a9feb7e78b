# hostile prior: endless module level
# expect: refused at load
# refused: loop iterations/function calls in one call
x = 0
while True:
    x = x + 1

def policy(obs):
    return [0.0] * 3
