# hostile prior: infinite recursion
# expect: refused at load
# refused: RecursionError: maximum recursion depth exceeded while calling a Python object
def deeper(n):
    return deeper(n + 1)

def policy(obs):
    return [deeper(0)] * 3
