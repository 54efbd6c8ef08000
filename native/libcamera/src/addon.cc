// Cabine's libcamera binding: list cameras, configure a preview (viewfinder) and a still
// stream, apply exposure / gain / white-balance controls, and deliver frames as Buffers.
//
// libcamera completes requests on its own thread; completions are handed to JavaScript
// through a thread-safe function, where the frame is copied out of the mmap'ed DMA buffer
// into a Node Buffer and the request is recycled. Written against libcamera 0.0.3
// (Debian 12) and later: only APIs present in both are used.
#include <napi.h>

#include <libcamera/libcamera.h>
#include <sys/mman.h>

#include <cstring>
#include <atomic>
#include <deque>
#include <set>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace libcamera;

namespace {

// One CameraManager per process, started on first use and stopped (destroyed) once nothing
// uses it: no session open and no listing under way, and at the environment's exit.
std::mutex managerMutex;
std::unique_ptr<CameraManager> managerInstance;
int managerUsers = 0;

CameraManager *acquireManager() {
  std::lock_guard<std::mutex> lock(managerMutex);
  if (!managerInstance) {
    auto candidate = std::make_unique<CameraManager>();
    int ret = candidate->start();
    if (ret < 0) throw std::runtime_error("libcamera CameraManager failed to start (" + std::to_string(ret) + ")");
    managerInstance = std::move(candidate);
  }
  managerUsers++;
  return managerInstance.get();
}

void releaseManager() {
  std::lock_guard<std::mutex> lock(managerMutex);
  if (managerUsers > 0) managerUsers--;
  if (managerUsers == 0) managerInstance.reset();  // ~CameraManager stops it
}

std::string locationName(int32_t location) {
  switch (location) {
    case properties::CameraLocationFront: return "front";
    case properties::CameraLocationBack: return "back";
    case properties::CameraLocationExternal: return "external";
    default: return "unknown";
  }
}

Napi::Object describeCamera(Napi::Env env, const std::shared_ptr<Camera> &camera) {
  Napi::Object info = Napi::Object::New(env);
  info.Set("id", camera->id());
  const ControlList &props = camera->properties();
  auto model = props.get(properties::Model);
  info.Set("model", model ? Napi::Value(Napi::String::New(env, *model)) : env.Null());
  auto location = props.get(properties::Location);
  info.Set("location", location ? Napi::Value(Napi::String::New(env, locationName(*location))) : env.Null());
  auto rotation = props.get(properties::Rotation);
  info.Set("rotation", rotation ? Napi::Value(Napi::Number::New(env, *rotation)) : env.Null());
  auto pixels = props.get(properties::PixelArraySize);
  if (pixels) {
    Napi::Object size = Napi::Object::New(env);
    size.Set("width", pixels->width);
    size.Set("height", pixels->height);
    info.Set("pixelArraySize", size);
  } else {
    info.Set("pixelArraySize", env.Null());
  }
  return info;
}

Napi::Value ListCameras(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CameraManager *cm;
  try {
    cm = acquireManager();
  } catch (const std::exception &err) {
    throw Napi::Error::New(env, err.what());
  }
  Napi::Array list;
  {
    // The cameras are dropped before the manager may stop.
    std::vector<std::shared_ptr<Camera>> cameras = cm->cameras();
    list = Napi::Array::New(env, cameras.size());
    for (size_t i = 0; i < cameras.size(); i++) list.Set(i, describeCamera(env, cameras[i]));
  }
  releaseManager();
  return list;
}

Napi::Value Version(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), CameraManager::version());
}

// One mmap'ed region per dmabuf fd of a buffer (planes of a buffer often share one fd).
struct MappedBuffer {
  FrameBuffer *buffer;
  std::vector<std::pair<const uint8_t *, size_t>> planes;  // address, length of each plane
};

struct PendingCapture {
  Napi::Promise::Deferred deferred;
  std::string role;
};

// What a queued completion needs to know when it reaches the JavaScript thread: whether the
// session still exists, and whether the request belongs to the current start (a stop settles
// every request of its start itself; completions of it still queued are then ignored).
struct SessionShared {
  bool alive = true;                  // JavaScript thread only
  std::atomic<uint64_t> generation{0};  // bumped at each stop
};

struct Completion {
  Request *request;
  uint64_t generation;
};

class CameraSession;
std::set<CameraSession *> liveSessions;  // JavaScript thread only

class CameraSession : public Napi::ObjectWrap<CameraSession> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "CameraSession",
                       {InstanceMethod("configure", &CameraSession::Configure), InstanceMethod("start", &CameraSession::Start),
                        InstanceMethod("capture", &CameraSession::Capture), InstanceMethod("setControls", &CameraSession::SetControls),
                        InstanceMethod("stop", &CameraSession::Stop), InstanceMethod("close", &CameraSession::Close)});
  }

  CameraSession(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CameraSession>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "CameraSession(id: string)");
    std::string id = info[0].As<Napi::String>();
    CameraManager *cm;
    try {
      cm = acquireManager();
    } catch (const std::exception &err) {
      throw Napi::Error::New(env, err.what());
    }
    holdsManager_ = true;
    liveSessions.insert(this);
    camera_ = cm->get(id);
    if (!camera_) {
      Release(false);
      throw Napi::Error::New(env, "no camera with id " + id);
    }
    if (camera_->acquire() < 0) {
      Release(false);
      throw Napi::Error::New(env, "camera " + id + " is in use by another process");
    }
    acquired_ = true;
  }

  ~CameraSession() override {
    shared_->alive = false;
    Release(false);  // a finalizer cannot settle promises
  }

  /** At the environment's exit: every session released, then the manager stops. */
  static void ReleaseAll() {
    std::vector<CameraSession *> sessions(liveSessions.begin(), liveSessions.end());
    for (CameraSession *session : sessions) session->Release(false);
  }

 private:
  // configure({ preview: {width, height, format?}, still: {width, height, format?} | undefined })
  Napi::Value Configure(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!camera_) throw Napi::Error::New(env, "the camera session is closed");
    if (started_) throw Napi::Error::New(env, "stop the camera before configuring it");
    Napi::Object options = info.Length() > 0 && info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env);
    StreamRoles roles;
    std::vector<std::string> names;
    std::vector<Napi::Object> wanted;
    if (options.Has("preview") && options.Get("preview").IsObject()) {
      roles.push_back(StreamRole::Viewfinder);
      names.push_back("preview");
      wanted.push_back(options.Get("preview").As<Napi::Object>());
    }
    if (options.Has("still") && options.Get("still").IsObject()) {
      roles.push_back(StreamRole::StillCapture);
      names.push_back("still");
      wanted.push_back(options.Get("still").As<Napi::Object>());
    }
    if (roles.empty()) throw Napi::TypeError::New(env, "configure needs a preview and/or a still stream");
    config_ = camera_->generateConfiguration(roles);
    if (!config_) throw Napi::Error::New(env, "the camera cannot produce the requested streams");
    for (size_t i = 0; i < wanted.size(); i++) {
      StreamConfiguration &stream = config_->at(i);
      if (wanted[i].Has("width")) stream.size.width = wanted[i].Get("width").As<Napi::Number>().Uint32Value();
      if (wanted[i].Has("height")) stream.size.height = wanted[i].Get("height").As<Napi::Number>().Uint32Value();
      if (wanted[i].Has("format") && wanted[i].Get("format").IsString()) {
        stream.pixelFormat = PixelFormat::fromString(wanted[i].Get("format").As<Napi::String>());
      }
      stream.bufferCount = std::max(stream.bufferCount, 2u);
    }
    if (config_->validate() == CameraConfiguration::Invalid) throw Napi::Error::New(env, "invalid camera configuration");
    if (camera_->configure(config_.get()) < 0) throw Napi::Error::New(env, "camera configuration refused");

    streams_.clear();
    Napi::Object result = Napi::Object::New(env);
    for (size_t i = 0; i < names.size(); i++) {
      const StreamConfiguration &stream = config_->at(i);
      streams_[names[i]] = stream.stream();
      Napi::Object desc = Napi::Object::New(env);
      desc.Set("width", stream.size.width);
      desc.Set("height", stream.size.height);
      desc.Set("stride", stream.stride);
      desc.Set("format", stream.pixelFormat.toString());
      desc.Set("frameSize", stream.frameSize);
      desc.Set("colorSpace", stream.colorSpace ? Napi::Value(Napi::String::New(env, stream.colorSpace->toString())) : env.Null());
      result.Set(names[i], desc);
    }
    AllocateBuffers(env);
    return result;
  }

  void AllocateBuffers(Napi::Env env) {
    FreeBuffers();
    allocator_ = std::make_unique<FrameBufferAllocator>(camera_);
    for (auto &[name, stream] : streams_) {
      if (allocator_->allocate(stream) < 0) throw Napi::Error::New(env, "cannot allocate buffers for the " + name + " stream");
      for (const std::unique_ptr<FrameBuffer> &buffer : allocator_->buffers(stream)) {
        MappedBuffer mapped{buffer.get(), {}};
        std::map<int, std::pair<uint8_t *, size_t>> regions;  // fd -> mapping covering every plane on it
        for (const FrameBuffer::Plane &plane : buffer->planes()) {
          size_t end = plane.offset + plane.length;
          auto &region = regions[plane.fd.get()];
          region.second = std::max(region.second, end);
        }
        for (auto &[fd, region] : regions) {
          void *address = mmap(nullptr, region.second, PROT_READ, MAP_SHARED, fd, 0);
          if (address == MAP_FAILED) throw Napi::Error::New(env, "cannot map a frame buffer");
          region.first = static_cast<uint8_t *>(address);
          mappings_.push_back({address, region.second});
        }
        for (const FrameBuffer::Plane &plane : buffer->planes()) {
          mapped.planes.push_back({regions[plane.fd.get()].first + plane.offset, plane.length});
        }
        free_[stream].push_back(buffer.get());
        mapped_[buffer.get()] = mapped;
      }
    }
  }

  Napi::Value Start(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!camera_) throw Napi::Error::New(env, "the camera session is closed");
    if (!config_) throw Napi::Error::New(env, "configure the camera first");
    if (started_) return env.Undefined();
    completions_ = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo &) {}), "cabine-libcamera", 0, 1);
    camera_->requestCompleted.connect(this, &CameraSession::OnRequestCompleted);
    if (info.Length() > 0 && info[0].IsObject()) ParseControls(env, info[0].As<Napi::Object>());
    if (camera_->start(&controls_) < 0) {
      camera_->requestCompleted.disconnect(this, &CameraSession::OnRequestCompleted);
      completions_.Release();
      throw Napi::Error::New(env, "the camera failed to start");
    }
    controls_.clear();
    started_ = true;
    return env.Undefined();
  }

  // capture('preview' | 'still') -> Promise<{ data, width, height, stride, format, sequence, timestampNs, metadata }>
  Napi::Value Capture(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto deferred = Napi::Promise::Deferred::New(env);
    std::string role = info.Length() > 0 && info[0].IsString() ? std::string(info[0].As<Napi::String>()) : "preview";
    auto found = streams_.find(role);
    if (!started_) {
      deferred.Reject(Napi::Error::New(env, "the camera is not started").Value());
    } else if (found == streams_.end()) {
      deferred.Reject(Napi::Error::New(env, "no " + role + " stream configured").Value());
    } else if (free_[found->second].empty()) {
      deferred.Reject(Napi::Error::New(env, "no free buffer on the " + role + " stream (too many captures in flight)").Value());
    } else {
      Stream *stream = found->second;
      FrameBuffer *buffer = free_[stream].back();
      free_[stream].pop_back();
      std::unique_ptr<Request> request = camera_->createRequest(nextCookie_++);
      if (!request || request->addBuffer(stream, buffer) < 0) {
        free_[stream].push_back(buffer);
        deferred.Reject(Napi::Error::New(env, "cannot create a capture request").Value());
        return deferred.Promise();
      }
      for (const auto &[id, value] : controls_) request->controls().set(id, value);
      controls_.clear();
      Request *raw = request.get();
      pending_.emplace(raw, PendingCapture{deferred, role});
      requests_.push_back(std::move(request));
      if (camera_->queueRequest(raw) < 0) {
        pending_.erase(raw);
        free_[stream].push_back(buffer);
        deferred.Reject(Napi::Error::New(env, "the camera refused the capture request").Value());
      }
    }
    return deferred.Promise();
  }

  // Runs on libcamera's thread: hand the request to the JavaScript thread, tagged with the
  // start it belongs to. The session is reached only if it still exists then.
  void OnRequestCompleted(Request *request) {
    auto *completion = new Completion{request, shared_->generation.load()};
    std::shared_ptr<SessionShared> shared = shared_;
    napi_status status = completions_.BlockingCall(completion, [shared, this](Napi::Env env, Napi::Function, Completion *done) {
      std::unique_ptr<Completion> owned(done);
      if (static_cast<napi_env>(env) == nullptr || !shared->alive) return;
      if (owned->generation != shared->generation.load()) return;  // settled by its stop
      Deliver(env, owned->request);
    });
    if (status != napi_ok) delete completion;
  }

  void Deliver(Napi::Env env, Request *request) {
    auto found = pending_.find(request);
    if (found == pending_.end()) return;
    PendingCapture pending = found->second;
    pending_.erase(found);
    Napi::HandleScope scope(env);
    const auto &buffers = request->buffers();
    if (request->status() != Request::RequestComplete || buffers.empty()) {
      for (const auto &[stream, buffer] : buffers) free_[const_cast<Stream *>(stream)].push_back(buffer);
      pending.deferred.Reject(Napi::Error::New(env, "capture cancelled").Value());
      DropRequest(request);
      return;
    }
    const auto &[stream, buffer] = *buffers.begin();
    const MappedBuffer &mapped = mapped_[buffer];
    const FrameMetadata &meta = buffer->metadata();
    size_t total = 0;
    std::vector<size_t> used;
    for (size_t i = 0; i < mapped.planes.size(); i++) {
      size_t bytes = i < meta.planes().size() ? std::min<size_t>(meta.planes()[i].bytesused, mapped.planes[i].second) : mapped.planes[i].second;
      used.push_back(bytes);
      total += bytes;
    }
    Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::New(env, total);
    size_t offset = 0;
    for (size_t i = 0; i < mapped.planes.size(); i++) {
      std::memcpy(data.Data() + offset, mapped.planes[i].first, used[i]);
      offset += used[i];
    }
    const StreamConfiguration &config = stream->configuration();
    Napi::Object frame = Napi::Object::New(env);
    frame.Set("data", data);
    frame.Set("width", config.size.width);
    frame.Set("height", config.size.height);
    frame.Set("stride", config.stride);
    frame.Set("format", config.pixelFormat.toString());
    frame.Set("colorSpace", config.colorSpace ? Napi::Value(Napi::String::New(env, config.colorSpace->toString())) : env.Null());
    frame.Set("sequence", meta.sequence);
    frame.Set("timestampNs", Napi::Number::New(env, static_cast<double>(meta.timestamp)));
    Napi::Object metadata = Napi::Object::New(env);
    auto exposure = request->metadata().get(controls::ExposureTime);
    if (exposure) metadata.Set("exposureTimeUs", *exposure);
    auto gain = request->metadata().get(controls::AnalogueGain);
    if (gain) metadata.Set("analogueGain", *gain);
    auto gains = request->metadata().get(controls::ColourGains);
    if (gains) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, (*gains)[0]);
      pair.Set(1u, (*gains)[1]);
      metadata.Set("colourGains", pair);
    }
    frame.Set("metadata", metadata);
    free_[const_cast<Stream *>(stream)].push_back(buffer);
    DropRequest(request);
    pending.deferred.Resolve(frame);
  }

  void DropRequest(Request *request) {
    for (auto it = requests_.begin(); it != requests_.end(); ++it) {
      if (it->get() == request) {
        requests_.erase(it);
        return;
      }
    }
  }

  // { exposureTimeUs?, analogueGain?, autoExposure?, autoWhiteBalance?, colourGains?: [red, blue], exposureValue? }
  void ParseControls(Napi::Env env, Napi::Object values) {
    if (values.Has("autoExposure")) controls_.set(controls::AeEnable, values.Get("autoExposure").ToBoolean().Value());
    if (values.Has("exposureTimeUs")) controls_.set(controls::ExposureTime, values.Get("exposureTimeUs").ToNumber().Int32Value());
    if (values.Has("analogueGain")) controls_.set(controls::AnalogueGain, values.Get("analogueGain").ToNumber().FloatValue());
    if (values.Has("exposureValue")) controls_.set(controls::ExposureValue, values.Get("exposureValue").ToNumber().FloatValue());
    if (values.Has("autoWhiteBalance")) controls_.set(controls::AwbEnable, values.Get("autoWhiteBalance").ToBoolean().Value());
    if (values.Has("colourGains") && values.Get("colourGains").IsArray()) {
      Napi::Array pair = values.Get("colourGains").As<Napi::Array>();
      if (pair.Length() != 2) throw Napi::TypeError::New(env, "colourGains is [red, blue]");
      float gains[2] = {pair.Get(0u).ToNumber().FloatValue(), pair.Get(1u).ToNumber().FloatValue()};
      controls_.set(controls::ColourGains, Span<const float, 2>(gains));
    }
  }

  Napi::Value SetControls(const Napi::CallbackInfo &info) {
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "setControls(controls: object)");
    ParseControls(info.Env(), info[0].As<Napi::Object>());
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo &info) {
    StopCamera(true);
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    Release(true);
    return info.Env().Undefined();
  }

  // Idempotent. camera->stop() returns once libcamera has completed every queued request
  // (cancelled) and will touch none again: only then are the captures in flight settled (their
  // buffers back to the free lists) and the requests freed. Their completions still queued for
  // this thread belong to an old generation and are ignored.
  void StopCamera(bool settle) {
    if (!started_) return;
    camera_->stop();
    camera_->requestCompleted.disconnect(this, &CameraSession::OnRequestCompleted);
    shared_->generation++;
    for (auto &[request, pending] : pending_) {
      for (const auto &[stream, buffer] : request->buffers()) free_[const_cast<Stream *>(stream)].push_back(buffer);
      if (settle) {
        Napi::HandleScope scope(pending.deferred.Env());
        pending.deferred.Reject(Napi::Error::New(pending.deferred.Env(), "capture cancelled: the camera was stopped").Value());
      }
    }
    pending_.clear();
    requests_.clear();
    completions_.Release();
    started_ = false;
  }

  void FreeBuffers() {
    for (auto &[address, length] : mappings_) munmap(address, length);
    mappings_.clear();
    mapped_.clear();
    free_.clear();
    allocator_.reset();
  }

  // Idempotent: stop (requests settled and freed), then the buffers, the camera, the manager.
  void Release(bool settle) {
    StopCamera(settle);
    requests_.clear();
    FreeBuffers();
    config_.reset();
    if (acquired_ && camera_) camera_->release();
    acquired_ = false;
    camera_.reset();
    liveSessions.erase(this);
    if (holdsManager_) releaseManager();
    holdsManager_ = false;
  }

  std::shared_ptr<Camera> camera_;
  std::shared_ptr<SessionShared> shared_ = std::make_shared<SessionShared>();
  bool holdsManager_ = false;
  bool acquired_ = false;
  bool started_ = false;
  std::unique_ptr<CameraConfiguration> config_;
  std::unique_ptr<FrameBufferAllocator> allocator_;
  std::map<std::string, Stream *> streams_;
  std::map<Stream *, std::vector<FrameBuffer *>> free_;
  std::map<FrameBuffer *, MappedBuffer> mapped_;
  std::vector<std::pair<void *, size_t>> mappings_;
  std::vector<std::unique_ptr<Request>> requests_;
  std::map<Request *, PendingCapture> pending_;
  ControlList controls_{controls::controls};
  Napi::ThreadSafeFunction completions_;
  uint64_t nextCookie_ = 1;
};

void CleanupAtExit(void *) {
  CameraSession::ReleaseAll();
  std::lock_guard<std::mutex> lock(managerMutex);
  managerUsers = 0;
  managerInstance.reset();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  napi_add_env_cleanup_hook(env, CleanupAtExit, nullptr);
  exports.Set("listCameras", Napi::Function::New(env, ListCameras));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("CameraSession", CameraSession::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(cabine_libcamera, Init)
