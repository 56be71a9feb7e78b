# hostile prior: endless module level
# expect: refused at load
x = 0
while True:
    x = x + 1

def policy(obs):
    return [0.0] * 3
