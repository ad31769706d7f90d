package dev.slipway.builder;

import dev.slipway.infra.events.BuildFailureReason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.TransportCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;
import org.eclipse.jgit.internal.JGitText;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;

/**
 * Clones one commit of a repository with JGit into an empty directory: shallow (depth 1) for a
 * branch, a tag or the default branch; a 40-hex commit SHA is fetched exactly (a shallow fetch of
 * that object, or a full fetch when the server refuses wants by SHA). Submodules are not fetched
 * and HTTP redirects are not followed (a redirect could lead past the host checks).
 *
 * <p>Blocking: call on a virtual thread. The cancel token stops a transfer through JGit's progress
 * monitor and by interrupting the thread.
 */
final class GitCloner {

  private static final String REMOTE = "origin";
  private static final String TARGET_REF = "refs/slipway/target";

  private final Duration timeout;

  GitCloner(Duration timeout) {
    this.timeout = timeout;
  }

  /**
   * Checks out {@code ref} of {@code remote} in {@code dir} (which must be empty or absent).
   *
   * @param ref a branch, a tag, a full ref name, a 40-hex commit SHA, or {@code null} for the
   *     remote's default branch
   * @param auth sent as HTTP basic auth, when given
   * @return the commit SHA checked out
   */
  String cloneAt(
      GitUrlPolicy.Remote remote,
      String ref,
      Path dir,
      Optional<RegistryAuth> auth,
      CancelToken token,
      LogSink log) {
    String url = remote.uri().toString();
    try (Git git = Git.init().setDirectory(dir.toFile()).setInitialBranch("slipway").call()) {
      StoredConfig config = git.getRepository().getConfig();
      config.setString("remote", REMOTE, "url", url);
      config.setString("http", null, "followRedirects", "false");
      // No background gc: it would write into the clone while the context is being packed.
      config.setInt("gc", null, "auto", 0);
      config.setBoolean("gc", null, "autoDetach", false);
      // Validates every fetched object (malformed trees, '.git' path entries). JGit's connectivity
      // check (setCheckFetchedObjects) is left off: it rejects shallow fetches.
      config.setBoolean("fetch", null, "fsckObjects", true);
      config.save();

      token.throwIfCancelled();
      ObjectId commit =
          ref != null && ref.matches("[0-9a-fA-F]{40}")
              ? fetchCommit(git, remote, ref.toLowerCase(Locale.ROOT), auth, token, log)
              : fetchRef(git, remote, ref, auth, token, log);
      token.throwIfCancelled();
      git.checkout().setName(commit.getName()).setProgressMonitor(monitor(token)).call();
      token.throwIfCancelled();
      return commit.getName();
    } catch (GitAPIException | IOException | RuntimeException e) {
      throw classify(e, remote, ref, token);
    }
  }

  private ObjectId fetchCommit(
      Git git,
      GitUrlPolicy.Remote remote,
      String sha,
      Optional<RegistryAuth> auth,
      CancelToken token,
      LogSink log)
      throws GitAPIException, IOException {
    String refusal;
    try {
      log.system("fetching commit " + sha + " (depth 1)");
      configure(git.fetch(), auth, token)
          .setRemote(REMOTE)
          .setRefSpecs(new RefSpec(sha + ":" + TARGET_REF))
          .setDepth(1)
          .setTagOpt(TagOpt.NO_TAGS)
          .call();
      ObjectId fetched = git.getRepository().resolve(TARGET_REF);
      if (fetched != null) {
        return peel(git, fetched);
      }
      // JGit may fetch a wanted SHA without writing the destination ref.
      ObjectId wanted = ObjectId.fromString(sha);
      if (git.getRepository().getObjectDatabase().has(wanted)) {
        return peel(git, wanted);
      }
      refusal = "it sent nothing";
    } catch (org.eclipse.jgit.api.errors.TransportException e) {
      if (isAuthFailure(e) || isConnectFailure(e) || token.isCancelled()) {
        throw e;
      }
      // Servers may refuse wants for unadvertised objects: fall back to everything.
      refusal = rootMessage(e);
    }
    token.throwIfCancelled();
    log.system(
        "the server would not send commit "
            + sha
            + " alone ("
            + refusal
            + "); fetching all branches and tags");
    configure(git.fetch(), auth, token)
        .setRemote(REMOTE)
        .setRefSpecs(
            new RefSpec("+refs/heads/*:refs/remotes/origin/*"),
            new RefSpec("+refs/tags/*:refs/tags/*"))
        .setTagOpt(TagOpt.NO_TAGS)
        .call();
    ObjectId id = ObjectId.fromString(sha);
    try (RevWalk walk = new RevWalk(git.getRepository())) {
      return walk.parseCommit(id).getId();
    } catch (MissingObjectException e) {
      throw new BuildFailure(
          BuildFailureReason.REF_NOT_FOUND,
          "commit "
              + sha
              + " not found in "
              + remote.display()
              + ": check the commit, and that it is on a branch or tag of the repository");
    }
  }

  /**
   * Fetches a branch, a tag or the default branch at depth 1 without listing the remote's refs
   * first (one round of requests fewer): a short name is tried as a branch, then as a tag, as
   * {@code git clone --branch} does. Only when nothing matches are the refs listed, to name the
   * branches in the failure.
   */
  private ObjectId fetchRef(
      Git git,
      GitUrlPolicy.Remote remote,
      String ref,
      Optional<RegistryAuth> auth,
      CancelToken token,
      LogSink log)
      throws GitAPIException, IOException {
    boolean defaultBranch = ref == null || ref.isBlank();
    List<String> candidates =
        defaultBranch
            ? List.of(Constants.HEAD)
            : ref.startsWith(Constants.R_REFS)
                ? List.of(ref)
                : List.of(Constants.R_HEADS + ref, Constants.R_TAGS + ref);
    log.system("fetching " + (defaultBranch ? "the default branch" : ref) + " (depth 1)");
    for (String candidate : candidates) {
      try {
        configure(git.fetch(), auth, token)
            .setRemote(REMOTE)
            .setRefSpecs(new RefSpec("+" + candidate + ":" + TARGET_REF))
            .setDepth(1)
            .setTagOpt(TagOpt.NO_TAGS)
            .call();
        return peel(git, git.getRepository().resolve(TARGET_REF));
      } catch (org.eclipse.jgit.api.errors.TransportException e) {
        if (!isMissing(e, candidate)) {
          throw e;
        }
      }
      token.throwIfCancelled();
    }
    Map<String, Ref> refs = configure(git.lsRemote().setRemote(REMOTE), auth, token).callAsMap();
    if (defaultBranch) {
      throw new BuildFailure(
          BuildFailureReason.REF_NOT_FOUND,
          remote.display() + " has no default branch (empty repository?): name a ref to build");
    }
    throw new BuildFailure(
        BuildFailureReason.REF_NOT_FOUND,
        "ref '"
            + ref
            + "' not found in "
            + remote.display()
            + ": check the branch, tag or commit"
            + hint(refs));
  }

  /** Whether a fetch failed because the remote does not advertise {@code ref}. */
  private static boolean isMissing(Exception e, String ref) {
    return allMessages(e).contains(MessageFormat.format(JGitText.get().remoteDoesNotHaveSpec, ref));
  }

  private static String hint(Map<String, Ref> refs) {
    Collection<String> branches =
        refs.keySet().stream()
            .filter(n -> n.startsWith(Constants.R_HEADS))
            .map(GitCloner::shortName)
            .sorted()
            .limit(10)
            .collect(Collectors.toList());
    return branches.isEmpty() ? "" : " (branches: " + String.join(", ", branches) + ")";
  }

  private static String shortName(String ref) {
    return Repository.shortenRefName(ref);
  }

  private static ObjectId peel(Git git, ObjectId id) throws IOException {
    if (id == null) {
      throw new IOException("fetched nothing");
    }
    try (RevWalk walk = new RevWalk(git.getRepository())) {
      RevCommit commit = walk.parseCommit(id);
      return commit.getId();
    }
  }

  private <C extends TransportCommand<C, ?>> C configure(
      C command, Optional<RegistryAuth> auth, CancelToken token) {
    command.setTimeout((int) Math.max(1, timeout.toSeconds()));
    auth.ifPresent(
        a ->
            command.setCredentialsProvider(
                new UsernamePasswordCredentialsProvider(a.username(), a.secret())));
    if (command instanceof org.eclipse.jgit.api.FetchCommand fetch) {
      fetch.setProgressMonitor(monitor(token));
    }
    return command;
  }

  private static ProgressMonitor monitor(CancelToken token) {
    return new ProgressMonitor() {
      @Override
      public void start(int totalTasks) {}

      @Override
      public void beginTask(String title, int totalWork) {}

      @Override
      public void update(int completed) {}

      @Override
      public void endTask() {}

      @Override
      public boolean isCancelled() {
        return token.isCancelled();
      }

      @Override
      public void showDuration(boolean enabled) {}
    };
  }

  /** Maps JGit's exceptions to what the user can act on. Messages name no credential. */
  private RuntimeException classify(
      Exception e, GitUrlPolicy.Remote remote, String ref, CancelToken token) {
    if (e instanceof BuildFailure failure) {
      return failure;
    }
    if (token.isCancelled() || e instanceof CancelToken.Cancelled) {
      return new CancelToken.Cancelled(
          token.reason() == null ? CancelToken.Reason.CANCELLED : token.reason());
    }
    String where = remote.display();
    if (isAuthFailure(e)) {
      return new BuildFailure(
          BuildFailureReason.AUTH_FAILED,
          where
              + " refused the credentials (or asked for some): check git_credential and that its"
              + " token may read the repository");
    }
    if (hasCause(e, NoRemoteRepositoryException.class) || e instanceof InvalidRemoteException) {
      return new BuildFailure(
          BuildFailureReason.CLONE_FAILED, "no git repository at " + where + ": check the URL", e);
    }
    if (hasCause(e, UnknownHostException.class)) {
      return new BuildFailure(
          BuildFailureReason.CLONE_FAILED,
          "unknown host '" + remote.host() + "' in " + where + ": check the URL",
          e);
    }
    if (isConnectFailure(e)) {
      return new BuildFailure(
          BuildFailureReason.CLONE_FAILED,
          "cannot connect to "
              + where
              + ": check the URL and that the git server is reachable from the builder",
          e);
    }
    if (hasCause(e, SocketTimeoutException.class)) {
      return new BuildFailure(
          BuildFailureReason.CLONE_FAILED,
          where + " did not answer within " + timeout.toSeconds() + " s; try again later",
          e);
    }
    String detail = rootMessage(e);
    if (detail.contains("Moved") || detail.contains("redirect") || detail.contains(" 30")) {
      return new BuildFailure(
          BuildFailureReason.CLONE_FAILED,
          where + " answered with a redirect, which the builder does not follow: use the final URL",
          e);
    }
    if (ref != null
        && (detail.contains("want")
            || detail.contains("not our ref")
            || e instanceof MissingObjectException)) {
      return new BuildFailure(
          BuildFailureReason.REF_NOT_FOUND,
          "ref '" + ref + "' not found in " + where + ": check the branch, tag or commit",
          e);
    }
    return new BuildFailure(
        BuildFailureReason.CLONE_FAILED, "cloning " + where + " failed: " + detail, e);
  }

  private static boolean isAuthFailure(Throwable e) {
    String message = allMessages(e).toLowerCase(Locale.ROOT);
    return message.contains("not authorized")
        || message.contains("authentication is required")
        || message.contains("authentication not supported")
        || message.contains("not permitted")
        || message.contains("403 forbidden");
  }

  private static boolean isConnectFailure(Throwable e) {
    return hasCause(e, ConnectException.class)
        || hasCause(e, NoRouteToHostException.class)
        || allMessages(e).toLowerCase(Locale.ROOT).contains("connection refused");
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static String allMessages(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      all.append(t.getMessage()).append(' ');
      if (t instanceof InterruptedIOException || t instanceof ClosedByInterruptException) {
        all.append("interrupted ");
      }
    }
    return all.toString();
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message =
        root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    // JGit puts the URL in its messages; ours never carries credentials, but stay on the safe side.
    return message.replaceAll("://[^/@\\s]+@", "://");
  }
}
