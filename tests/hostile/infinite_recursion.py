# hostile prior: infinite recursion
# expect: refused at load
def deeper(n):
    return deeper(n + 1)

def policy(obs):
    return [deeper(0)] * 3
