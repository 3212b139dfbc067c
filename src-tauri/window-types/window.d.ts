// What Tauri puts on the window (`withGlobalTauri`), as far as Ponte's modules use it.
interface Window {
  __TAURI__: {
    core: { invoke(command: string, args?: Record<string, unknown>): Promise<any> };
    event: { listen(event: string, handler: (event: { payload: any }) => void): Promise<() => void> };
  };
}
