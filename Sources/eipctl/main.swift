print("eipctl")
